/**
 * The Explore run as the page shows it: its status (Run again, Stop), the original crop, the decoder's
 * reconstruction and the decoded adversarial (with PNG downloads), the filmstrip; below the sweep and
 * the shifts, the predictions and the charts (loss, δμ, δσ, ms per step).
 */
import { useCallback, useMemo, useState } from 'react';
import { ErrorBoundary } from '../ErrorBoundary';
import { DeltaChart, DeltaNote, LossChart, Predictions, RgbaView } from './Charts';
import { downloadCanvas, exportScale, stripCanvas } from './images';
import { psnrRgba, psnrWord } from './psnr';
import type { ExploreSettings } from './explore-store';
import type { CroppedImage } from './useExploreModel';
import type { ExploreRun } from './useExploreRun';

export interface RunPanelsProps {
  r: ExploreRun;
  /** The status line (statusText). */
  status: string;
  /** Whether there is a request to run again. */
  canRun: boolean;
  backend: string | null;
  img: CroppedImage | null;
  /** The side of the crop (the model's input size before the image is classified). */
  size: number;
  /** The classifier's registry id ('' for none). */
  modelId: string;
  layer: string;
  hasDecoder: boolean;
  /** The attacked class (null: not known yet). */
  attacked: number | null;
  settings: ExploreSettings;
}

/** Status, images and filmstrip. */
export function RunPanels({ r, status, canRun, backend, img, size, modelId, layer, hasDecoder, attacked, settings }: RunPanelsProps) {
  const { runState, runsDone, tensors, meanMs, first, last, shown, staleShown, frames } = r;
  const [downloadError, setDownloadError] = useState<string | null>(null);
  /** PSNR of the m = 0 reconstruction against the crop (how far the decoder alone moves the picture). */
  const recon = useMemo(() => {
    const p = first && first.step === 0 ? first.pic : null;
    return p && img?.pic && p.size === img.pic.size && p.rgba.length === img.pic.rgba.length ? psnrRgba(img.pic.rgba, p.rgba) : null;
  }, [first, img]);

  const download = useCallback(async (what: 'adv' | 'strip') => {
    if (!frames.length) return;
    setDownloadError(null);
    try {
      const scale = exportScale(frames[0]!.size);
      const c = what === 'adv' ? stripCanvas([frames[frames.length - 1]!], scale, 0) : stripCanvas(frames, scale);
      const tag = `${modelId}-${layer}-eps${settings.eps}-tau${settings.tau}-m${settings.steps}`;
      await downloadCanvas(c, what === 'adv' ? `advbn-${tag}.png` : `advbn-filmstrip-${tag}.png`);
    } catch (e) {
      setDownloadError(`The PNG could not be made: ${(e as Error).message}`);
    }
  }, [frames, modelId, layer, settings.eps, settings.tau, settings.steps]);

  return (
    <>
      <ErrorBoundary name="Run status">
        <div className="panel">
          <div className="row status-row">
            <span data-testid="run-status" data-state={runState} data-runs={runsDone} data-step={last?.step ?? -1} role="status">
              {status}
            </span>
            <span className="muted" data-testid="timing">
              {meanMs !== null ? `${meanMs.toFixed(0)} ms/step (${r.run.backend ?? backend}, ${modelId} @ ${layer}, ${r.run.mode} loss)` : ''}
              {r.run.encodeMs !== null && r.run.steps.length ? (r.run.encodeMs < 1 ? ' · features cached' : ` · encode ${r.run.encodeMs.toFixed(0)} ms`) : ''}
            </span>
            <span className="muted" data-testid="tensors" data-count={tensors ?? ''}>{tensors !== null ? `worker tensors: ${tensors}` : ''}</span>
            <button type="button" onClick={r.rerun} disabled={!canRun}>Run again</button>
            <button type="button" onClick={r.stop} disabled={runState !== 'running'}>Stop</button>
          </div>
          {runState === 'error' && <div className="error" role="alert" data-testid="run-error">{r.run.error}</div>}
        </div>
      </ErrorBoundary>

      <ErrorBoundary name="Images (original, reconstruction, adversarial)" onReset={r.clear}>
        <div className={`panel triptych ${staleShown ? 'stale' : ''}`}>
          <figure>
            <RgbaView image={img?.pic ?? null} testid="img-original" label="Original crop" />
            <figcaption>original crop ({size}×{size})</figcaption>
          </figure>
          <figure>
            <RgbaView image={first?.pic ?? null} testid="img-recon" label="Reconstruction (m = 0)" />
            <figcaption>decoder reconstruction (m = 0){recon !== null && <><br /><span className="muted small" data-testid="recon-psnr" data-psnr={recon.toFixed(2)}>PSNR {Number.isFinite(recon) ? recon.toFixed(1) : '∞'} dB ({psnrWord(recon)})</span></>}</figcaption>
          </figure>
          <figure>
            <RgbaView image={last && last.step > 0 ? last.pic : null} testid="img-adv" label="Decoded adversarial" className="adv" />
            <figcaption>decoded adversarial{last && last.step > 0 ? ` (step ${last.step} of ${r.run.m})` : ''}</figcaption>
          </figure>
          {!hasDecoder && modelId && (
            <p className="muted note">No decoder for {layer} in this model's folder: AdvBN still runs on the features (see the predictions), but they cannot be shown as an image. Pick a layer with a decoder, or train one: <code>advbn train-decoder --layer {layer}</code>.</p>
          )}
          <div className="row downloads">
            <button type="button" onClick={() => void download('adv')} disabled={!frames.length}>Download adversarial PNG</button>
            <button type="button" onClick={() => void download('strip')} disabled={!frames.length}>Download filmstrip PNG</button>
          </div>
          {downloadError && <div className="error small" role="alert" data-testid="download-error">{downloadError}</div>}
        </div>
      </ErrorBoundary>

      <ErrorBoundary name="Filmstrip" onReset={r.clear}>
        <div className={`panel ${staleShown ? 'stale' : ''}`}>
          <h3>Filmstrip: the decoded image after every PGD step</h3>
          <div className="filmstrip" data-testid="filmstrip" data-frames={shown.length}>
            {shown.map((s) => (
              <figure key={s.step} data-testid="frame">
                <RgbaView image={s.pic} testid={`frame-${s.step}`} label={`step ${s.step}`} />
                <figcaption>m = {s.step}<br /><span className="muted">{attacked !== null ? `${(s.attackedProb * 100).toFixed(0)}%` : ''}</span></figcaption>
              </figure>
            ))}
          </div>
        </div>
      </ErrorBoundary>
    </>
  );
}

/** Predictions and charts. */
export function RunReadouts({ r, img, labels, attacked, settings }: Pick<RunPanelsProps, 'r' | 'img' | 'attacked' | 'settings'> & { labels: string[] }) {
  const { last, shown, stepMs, meanDecodeMs } = r;
  return (
    <>
      <ErrorBoundary name="Predictions">
        <div className="panel preds-row">
          <Predictions title="Clean (original crop)" probs={img?.cleanProbs ?? null} labels={labels} testid="clean-preds" kind="clean" highlight={attacked ?? undefined} />
          <Predictions
            title={`Adversarial${last ? ` (step ${last.step})` : ''}`} probs={last?.probs ?? null} labels={labels} testid="adv-preds" kind="adv" highlight={attacked ?? undefined}
            note={r.run.mode === 'image' ? 'whole classifier on the decoded image' : 'head on the perturbed features'}
          />
        </div>
      </ErrorBoundary>

      <ErrorBoundary name="Charts">
        <div className="panel charts">
          <LossChart losses={shown.map((s) => s.loss)} probs={shown.map((s) => s.attackedProb)} steps={Math.max(r.run.m, shown.length - 1)} targeted={settings.targeted} />
          <div className="muted small">attacked class: {attacked !== null ? `${labels[attacked]?.split(',')[0] ?? attacked}${settings.label < 0 ? ' (clean top-1)' : ''}${settings.targeted ? ', targeted' : ''}` : '—'}</div>
          <DeltaChart title="δμ per channel" values={last?.deltaMu ?? null} eps={settings.eps} testid="delta-mu" />
          <DeltaChart title="δσ per channel" values={last?.deltaSigma ?? null} eps={settings.eps} testid="delta-sigma" />
          <DeltaNote eps={settings.eps} />
          {stepMs.length > 0 && <div className="muted small" data-testid="step-ms">ms per step: {stepMs.map((v) => v.toFixed(0)).join(' · ')}</div>}
          {meanDecodeMs !== null && <div className="muted small" data-testid="decode-ms">decoding each filmstrip image, apart from the step: {meanDecodeMs.toFixed(0)} ms</div>}
        </div>
      </ErrorBoundary>
    </>
  );
}
