/**
 * The HTTP API over a Manager (hono), the same on Node, Bun and Workers.
 * @module
 */
export { type ApiListQuery, type AppOptions, createApp, type ManagerLike } from "./app.js";
export { type OpenApiDocument, openApiDocument } from "./openapi.js";
export { ApiError, type ErrorStatus } from "./respond.js";
