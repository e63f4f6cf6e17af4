import type { HandlerMap } from "./protocol";
/** Handlers of the Explore page (see src/ui/explore). */
export const exploreHandlers: HandlerMap = {};
