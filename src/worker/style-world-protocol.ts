/**
 * Messages for pictures of the style world (the Train page's gallery, the style-world model's sample
 * images on the Explore page). The generator lives in src/data, below the UI: the worker draws.
 * No tfjs here: the UI thread imports these types.
 */

export interface GalleryRequest { count: number }
export interface GalleryFamily { name: string; split: 'train' | 'heldout'; description: string; images: Uint8ClampedArray[] }
export interface GalleryResult { size: number; families: GalleryFamily[] }

/** Item `index` of a style family at a seed (its class is index mod 10). */
export interface SampleRequest { family: string; seed: number; index: number }
export interface SampleResult { rgba: Uint8ClampedArray; width: number; height: number; label: number; shape: string }
