/** Reads one file of a model folder by its relative name (a folder on disk, IndexedDB, a server, picked files). */
export type ReadFile = (name: string) => Promise<ArrayBuffer>;
