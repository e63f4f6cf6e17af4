/**
 * What an Explore run starts from: the model ('explore.model', with load progress), the image (the
 * model's own samples or the user's, cropped and classified by 'explore.image'), and the split layer
 * and loss mode the page settles on for them.
 */
import { useEffect, useMemo, useRef, useState, type MutableRefObject } from 'react';
import { engine, RequestCancelled } from '../../worker/client';
import type { ImageResult, ModelProgress } from '../../worker/explore-protocol';
import { entryLabels, initialLayer, joinPath, offeredLayers, type KnownModel } from '../../common/registry';
import { useApp } from '../app-store';
import { fetchSampleFile, sampleImage, styleWorldSource, type SourceImage, type SquareImage } from './images';
import type { ExploreSettings } from './explore-store';

export interface Loaded { key: string; classes: number; inputSize: number; layers: string[]; labels: string[]; ms: number }
/** The image as the loaded model sees it: its crop and clean predictions. */
export type CroppedImage = ImageResult & { modelKey: string; pic: SquareImage };
/** The run in flight: a new image or model cancels it at once (not only when its result arrives). */
export type RunControl = MutableRefObject<AbortController | null>;

/**
 * The model's own sample image number `index` (cycling): a style-world item drawn by code, or a file
 * served next to the model (null while it loads). A model that names none, or whose sample file is
 * absent, gets the drawn landscape, named as such.
 */
export function useModelSample(m: KnownModel | null, index: number): SourceImage | null {
  const [img, setImg] = useState<SourceImage | null>(null);
  const key = m ? `${m.origin}|${m.entry.id}` : '';
  const mRef = useRef(m);
  mRef.current = m;
  useEffect(() => {
    const model = mRef.current;
    if (!model) return;
    const specs = model.entry.samples ?? [];
    const fallback = (why: string) => ({ ...sampleImage(), name: `drawn sample (${why}; drop a photo of your own)` });
    if (!specs.length) { setImg(fallback(`${model.entry.name} names no sample image`)); return; }
    const spec = specs[index % specs.length]!;
    let live = true;
    if (spec.kind === 'style-world') {
      setImg(null);
      engine().request('styleworld.sample', { family: spec.family, seed: spec.seed, index: spec.index })
        .then((r) => { if (live) setImg(styleWorldSource(r, spec.family, spec.seed, spec.index)); })
        .catch((e: Error) => { if (live) setImg(fallback(`its sample could not be drawn: ${e.message}`)); });
      return () => { live = false; };
    }
    if (model.source.kind !== 'url') { setImg(fallback('the sample file is not in the picked folder')); return; }
    setImg(null);
    const name = spec.path.split('/').pop() ?? spec.path;
    void fetchSampleFile(`${model.source.base}${joinPath(spec.path)}`, `${name} (sample next to the model)`).then((r) => {
      if (live) setImg(r ?? fallback(`the sample photo ${spec.path} is not served here`));
    });
    return () => { live = false; };
  }, [key, index]);
  return img;
}

/** Loads model `current` (UI key `modelKey`) into the worker once the engine has a backend. */
export function useLoadedModel(current: KnownModel | null, modelKey: string, runCtrl: RunControl) {
  const backend = useApp((s) => s.backend);
  const [engineReady, setEngineReady] = useState(false);
  useEffect(() => { if (backend) setEngineReady(true); }, [backend]);
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [progress, setProgress] = useState<ModelProgress | null>(null);
  const currentRef = useRef(current);
  currentRef.current = current;

  useEffect(() => {
    const m = currentRef.current;
    if (!m || !engineReady) return;
    runCtrl.current?.abort();
    const ctrl = new AbortController();
    setLoaded(null);
    setLoadError(null);
    setProgress(null);
    engine()
      .request('explore.model', { key: modelKey, source: m.source, entry: m.entry }, { signal: ctrl.signal, onEvent: (p) => setProgress(p as ModelProgress) })
      .then((r) => {
        if (ctrl.signal.aborted) return;
        setLoaded({ ...r, labels: entryLabels(m.entry, r.classes) });
      })
      .catch((e: Error) => { if (!ctrl.signal.aborted && !(e instanceof RequestCancelled)) setLoadError(e.message); });
    return () => ctrl.abort();
  }, [modelKey, engineReady]);
  return { loaded, loadError, progress };
}

/** The image `source` cropped and classified by the loaded model; null until then (or for another model). */
export function useCroppedImage(loaded: Loaded | null, source: SourceImage | null, runCtrl: RunControl) {
  const [imgRes, setImgRes] = useState<CroppedImage | null>(null);
  const [imgError, setImgError] = useState<string | null>(null);
  useEffect(() => {
    if (!loaded || !source) return;
    runCtrl.current?.abort();
    const ctrl = new AbortController();
    setImgError(null);
    engine()
      .request('explore.image', { key: source.key, rgba: source.rgba, width: source.width, height: source.height }, { signal: ctrl.signal })
      .then((r) => { if (!ctrl.signal.aborted) setImgRes({ ...r, modelKey: loaded.key, pic: { rgba: r.crop, size: r.size } }); })
      .catch((e: Error) => { if (!ctrl.signal.aborted && !(e instanceof RequestCancelled)) setImgError(e.message); });
    return () => ctrl.abort();
  }, [loaded, source]);
  const img = imgRes && loaded && imgRes.modelKey === loaded.key ? imgRes : null;
  return { img, imgError };
}

/**
 * The split layer, its decoder and the loss mode for the classifier `current` (or the chosen autoencoder
 * `ae`), the layers to offer; and the settings patched so that links name what is actually shown, with a
 * note (`setModelNotes`) for link values only the loaded model can judge (a layer it lacks, a class it lacks).
 */
export function useLayerChoice(
  current: KnownModel | null, ae: KnownModel | null, loaded: Loaded | null, settings: ExploreSettings,
  setSettings: (patch: Partial<ExploreSettings>) => void, setModelNotes: (notes: string[]) => void,
) {
  const layers = useMemo(() => {
    if (!current) return [];
    return offeredLayers(current.entry, current.decoders)
      .filter((l) => !loaded || loaded.layers.includes(l))
      .map((name) => ({ name, decoder: current.decoders.includes(name) }));
  }, [current, loaded]);
  const classifierLayer = current ? initialLayer(current.entry, current.decoders, settings.layer) : '';
  const layer = ae ? initialLayer(ae.entry, ae.decoders, settings.layer) : classifierLayer;
  const hasDecoder = ae ? ae.decoders.includes(layer) : !!current?.decoders.includes(layer);
  const mode = ae ? 'image' : settings.mode;
  const aeLayers = ae ? ae.decoders.map((name) => ({ name, decoder: true })) : null;
  // Links name the model and layer actually shown, so they reproduce the view on another machine.
  useEffect(() => {
    if (!current) return;
    const patch: { model?: string; layer?: string; label?: number } = {};
    const notes: string[] = [];
    if (settings.model !== current.entry.id) patch.model = current.entry.id;
    if (!ae && settings.layer !== layer && (loaded?.layers.includes(layer) ?? false)) {
      patch.layer = layer;
      if (settings.layer) notes.push(`Layer "${settings.layer}" is not offered for ${current.entry.name}; using ${layer}.`);
    }
    if (loaded && settings.label >= loaded.classes) {
      patch.label = -1;
      notes.push(`Class ${settings.label} is not a class of ${current.entry.name} (0–${loaded.classes - 1}); attacking the clean top-1.`);
    }
    if (notes.length) setModelNotes(notes);
    if (Object.keys(patch).length) setSettings(patch);
  }, [current, layer, loaded, settings.model, settings.layer, settings.label, setSettings, ae]);
  return { layers: aeLayers ?? layers, layer, hasDecoder, mode };
}
