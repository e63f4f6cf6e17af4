/**
 * The Explore page: one image, one classifier split at a layer, AdvBN's PGD on the feature statistics,
 * and what it does (decoded images per step, predictions, loss, δ). All tfjs work runs in the engine
 * worker (src/worker/explore-handlers.ts). This file is the view; the steps it orchestrates are hooks:
 *
 *   models (useModels: registry probe / picked folder) → 'explore.model' (useLoadedModel) →
 *   'explore.image' (useCroppedImage: crop + clean predictions) → 'explore.run' (useExploreRun:
 *   debounced; a newer run cancels the one in flight) → step events (RunPanels, RunReadouts).
 */
import type { ImportResult } from '../../worker/import-protocol';
import { useCallback, useEffect, useRef, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { RunRequest } from '../../worker/explore-protocol';
import { useApp } from '../app-store';
import type { KnownModel } from '../../common/registry';
import { argmax } from '../../common/predictions';
import { pick, useExplore } from './explore-store';
import type { SourceImage } from './images';
import { ImageInput } from './ImageInput';
import { keepImage, keptImage, restoreImage } from './session-image';
import { ToyModelNote } from '../vgg19/GetVgg19';
import { Controls } from './Controls';
import { ModelPanel, NoModelPanel, useModels } from './ModelPanel';
import { ErrorBoundary } from '../ErrorBoundary';
import { StrengthSweepPanel } from './StrengthSweepPanel';
import { ShiftsPanel } from './ShiftsPanel';
import { useUrlSync } from './useUrlSync';
import { useCroppedImage, useLayerChoice, useLoadedModel, useModelSample } from './useExploreModel';
import { statusText, useExploreRun } from './useExploreRun';
import { RunPanels, RunReadouts } from './RunPanels';
import './explore.css';

export function ExplorePage() {
  const [linkNotes, setLinkNotes] = useUrlSync();
  /** Link values that only the loaded model can judge (a layer it does not offer, a class it lacks). */
  const [modelNotes, setModelNotes] = useState<string[]>([]);
  const settings = useExplore(useShallow(pick));
  const setSettings = useExplore((s) => s.set);
  const backend = useApp((s) => s.backend);
  const { models, modelsError, refresh, pickFolder, folderError, folderBusy, addImported } = useModels();
  const onImported = async (r: ImportResult) => {
    await addImported(r);
    // An encoder alone is not a classifier: it is offered as an autoencoder, the classifier stays.
    if (r.entry.role !== 'encoder') setSettings({ model: r.entry.id, layer: '', label: -1 });
  };

  // ---- the model ----
  const present = models?.filter((m) => m.present && m.entry.role !== 'encoder') ?? [];
  // A link that names a model not available here loads nothing (rather than a 138 MB fallback): the
  // model panel says so and offers the others.
  const current: KnownModel | null = settings.model ? present.find((m) => m.entry.id === settings.model) ?? null : present[0] ?? null;
  const modelKey = current ? `${current.origin}|${current.entry.id}` : '';
  /** The run in flight: a new image or model cancels it at once (not only when its result arrives). */
  const runCtrl = useRef<AbortController | null>(null);
  const { loaded, loadError, progress } = useLoadedModel(current, modelKey, runCtrl);

  // ---- the image ----
  // The user's image is kept for the session (session-image.ts): it survives Train and back, and a reload.
  const [userImage, setUserImageState] = useState<SourceImage | null>(keptImage);
  const setUserImage = useCallback((img: SourceImage | null) => { keepImage(img); setUserImageState(img); }, []);
  useEffect(() => {
    let live = true;
    if (!userImage) void restoreImage().then((img) => { if (live && img) setUserImageState(img); });
    return () => { live = false; };
  }, []); // eslint-disable-line react-hooks/exhaustive-deps -- once, on opening the page
  const [sampleIndex, setSampleIndex] = useState(0);
  const sample = useModelSample(current, sampleIndex);
  const source = userImage ?? sample;
  const onSample = useCallback(() => {
    // Back to the model's samples; a second click shows the next one.
    if (userImage) setUserImage(null);
    else setSampleIndex((i) => i + 1);
  }, [userImage, setUserImage]);
  const { img, imgError } = useCroppedImage(loaded, source, runCtrl);
  // A model of drawn shapes (the style world) names one of its shapes for any photo: say so.
  const drawnModel = !!current?.entry.samples?.some((x) => x.kind === 'style-world');
  const vgg = present.find((m) => m.entry.labels === 'imagenet' && m.entry.inputSize === 224);

  // ---- layer, mode, label ----
  // An autoencoder apart from the classifier (an imported encoder with its decoder), when chosen.
  const autoencoders = (models ?? []).filter((m) => m.present && m.entry.role === 'encoder' && m.decoders.length);
  const ae = settings.ae ? autoencoders.find((m) => m.entry.id === settings.ae) ?? null : null;
  const { layers, layer, hasDecoder, mode } = useLayerChoice(current, ae, loaded, settings, setSettings, setModelNotes);
  const labels = loaded?.labels ?? [];
  const cleanTop1 = img ? argmax(img.cleanProbs) : null;
  const label = settings.label >= 0 ? settings.label : null;
  const pgd = { eps: settings.eps, tau: settings.tau, steps: settings.steps };

  // ---- the run ----
  const request: RunRequest | null = img && loaded && backend ? {
    model: loaded.key, image: img.key,
    layer, decoder: hasDecoder, mode,
    autoencoder: ae ? { key: `${ae.origin}|${ae.entry.id}`, source: ae.source, entry: ae.entry, layer } : null,
    settings: pgd, label, targeted: settings.targeted,
  } : null;
  const r = useExploreRun(request, backend, modelKey, loaded, runCtrl);
  const attacked = r.run.label ?? label ?? cleanTop1;
  const target = img && loaded && !ae ? { model: loaded.key, image: img.key, layer, decoder: hasDecoder, mode, label } : null;

  if (!models) {
    return <section className="explore"><div className="panel muted" data-testid="models-probing">looking for models…</div></section>;
  }
  if (!present.length) {
    return (
      <section className="explore">
        <NoModelPanel error={modelsError} models={models} onPick={pickFolder} folderError={folderError} busy={folderBusy} onImported={onImported} />
      </section>
    );
  }

  return (
    <section className="explore">
      <div className="explore-grid">
        <div className="col-left">
          <ErrorBoundary name="Model panel">
            <ModelPanel
              models={models} current={current} onSelect={(id) => setSettings({ model: id, layer: '', label: -1 })} onPick={pickFolder} onRefresh={refresh}
              folderError={folderError} busy={folderBusy} loaded={!!loaded} loadError={loadError} progress={progress}
              requested={settings.model} loadMs={loaded?.ms ?? null} onImported={onImported}
            />
          </ErrorBoundary>
          <ErrorBoundary name="Image panel" onReset={() => setUserImage(null)}>
            <ImageInput image={source} onImage={setUserImage} onSample={onSample} sampleCount={current?.entry.samples?.length ?? 0} workerError={imgError}>
              {userImage && drawnModel && loaded && (
                <ToyModelNote labels={loaded.labels} vgg={vgg ?? null} onUseVgg={(id) => setSettings({ model: id, layer: '', label: -1 })} />
              )}
              {userImage && <p className="muted small" data-testid="image-link-note">Your image stays with this tab while you switch pages or reload; a link cannot carry it (a link opens on the model's sample).</p>}
            </ImageInput>
          </ErrorBoundary>
          <ErrorBoundary name="Settings panel">
            <Controls layers={layers} layer={layer} hasDecoder={hasDecoder} labels={labels} cleanTop1={cleanTop1}
              notes={[...linkNotes, ...modelNotes]} onDismissNotes={() => { setLinkNotes([]); setModelNotes([]); }}
              autoencoders={autoencoders.map((m) => ({ id: m.entry.id, name: m.entry.name }))} autoencoder={ae?.entry.id ?? ''} />
          </ErrorBoundary>
        </div>
        <div className="col-right">
          <RunPanels
            r={r} status={statusText({ ...r.run, state: r.runState }, loaded, img, loadError)} canRun={!!request} backend={backend} img={img}
            size={img?.size ?? current?.entry.inputSize ?? 0} modelId={current?.entry.id ?? ''} layer={layer} hasDecoder={hasDecoder} attacked={attacked} settings={settings}
          />

          <ErrorBoundary name="Strength sweep">
            <StrengthSweepPanel target={target} labels={labels} settings={settings} busy={r.runState === 'running'} />
          </ErrorBoundary>

          <ErrorBoundary name="Shifts side by side">
            <ShiftsPanel target={target && { ...target, settings: pgd }} labels={labels} settings={settings} crop={img?.pic ?? null} />
          </ErrorBoundary>

          <RunReadouts r={r} img={img} labels={labels} attacked={attacked} settings={settings} />
        </div>
      </div>
    </section>
  );
}
