import type { HandlerMap } from "./protocol";
/** Handlers of the Train page (see src/ui/train). */
export const trainHandlers: HandlerMap = {};
