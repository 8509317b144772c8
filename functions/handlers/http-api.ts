import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { json } from "./http/http-json.js";
import { routes, type HttpDependencies } from "./http/routes.js";
import { httpDependencies } from "./runtime.js";

let dependencies: HttpDependencies | undefined;

/** The store's HTTP API: API Gateway v2 routes each request here by its route key. */
export const handler = async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
  dependencies ??= httpDependencies();
  const route = routes[event.routeKey];
  return route ? route(event, dependencies) : json(404, { error: `no route ${event.routeKey}` });
};
