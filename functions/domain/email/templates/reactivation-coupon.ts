import type { EmailTemplate } from "../template.js";
import { newsletterHtml } from "./newsletter-layout.js";

/** The workflow's first mail: a gift to come back, with the contact's own coupon code. */
export const reactivationCoupon: EmailTemplate = {
  id: "reactivation-coupon",
  type: "newsletter",
  locale: "en-GB",
  fallbacks: { firstName: "there" },
  subject: "A gift to come back to {{storeName}}",
  html: newsletterHtml({
    lang: "en",
    title: "A gift to come back to {{storeName}}",
    preheader: "Your personal code {{couponCode}} is valid until {{couponExpiry}}.",
    heading: "We have missed you",
    intro: ["Hello {{firstName}},", "It has been a while since we last saw you at {{storeName}}, and we would love to welcome you back. Here is a gift for your next order:"],
    code: { value: "{{couponCode}}", note: "Valid until {{couponExpiry}}" },
    button: { label: "Shop with my gift", href: "{{couponUrl}}" },
    outro: ["Enter the code at checkout. It is yours alone and works once.", "See you soon,<br>{{storeName}}"],
    footer: "{{storeName}} sends you this e-mail because you subscribed to its news.",
  }),
  text: `Hello {{firstName}},

It has been a while since we last saw you at {{storeName}}, and we would love to welcome you back. Here is a gift for your next order:

    {{couponCode}}

Valid until {{couponExpiry}}. Enter the code at checkout; it is yours alone and works once.

Shop now: {{couponUrl}}

See you soon,
{{storeName}}
{{storeUrl}}

--
{{storeName}} sends you this e-mail because you subscribed to its news.
Unsubscribe: {{unsubscribeUrl}}
`,
};
