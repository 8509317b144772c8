import type { EmailTemplate } from "../template.js";
import { newsletterHtml } from "./newsletter-layout.js";

/** The reminder a week later, to contacts who have not ordered since: the same code, and when it ends. */
export const reactivationReminder: EmailTemplate = {
  id: "reactivation-reminder",
  type: "newsletter",
  locale: "en-GB",
  fallbacks: { firstName: "there" },
  subject: "Your gift from {{storeName}} expires on {{couponExpiry}}",
  html: newsletterHtml({
    lang: "en",
    title: "Your gift from {{storeName}} expires on {{couponExpiry}}",
    preheader: "Your code {{couponCode}} expires on {{couponExpiry}}.",
    heading: "Your gift is still waiting",
    intro: ["Hello {{firstName}},", "A short reminder: the code we sent you last week has not been used yet."],
    code: { value: "{{couponCode}}", note: "Expires on {{couponExpiry}}" },
    button: { label: "Use my code", href: "{{couponUrl}}" },
    outro: ["After {{couponExpiry}} the code no longer works.", "See you soon,<br>{{storeName}}"],
    footer: "{{storeName}} sends you this e-mail because you subscribed to its news.",
  }),
  text: `Hello {{firstName}},

A short reminder: the code we sent you last week has not been used yet.

    {{couponCode}}

It expires on {{couponExpiry}}.

Shop now: {{couponUrl}}

See you soon,
{{storeName}}
{{storeUrl}}

--
{{storeName}} sends you this e-mail because you subscribed to its news.
Unsubscribe: {{unsubscribeUrl}}
`,
};
