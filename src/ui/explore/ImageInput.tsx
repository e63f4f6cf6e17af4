/**
 * Where the picture comes from: file picker, drag and drop, paste, camera snapshot, or the sample.
 * Shows the picture with the centre crop the model sees outlined.
 */
import { useEffect, useRef, useState, type ReactNode } from 'react';
import { centerCropRect } from '../../common/preprocessing';
import { decodeImageFile, ImageInputError, paint, snapshotVideo, type SourceImage } from './images';

/** `image` null: the model's sample is still loading. `onSample` shows the model's (next) sample image. */
/** `children`: notes about the image shown under it (what the model can make of it, what a link keeps). */
export function ImageInput(props: { image: SourceImage | null; onImage(img: SourceImage): void; onSample(): void; sampleCount: number; workerError?: string | null; children?: ReactNode }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [drag, setDrag] = useState(false);
  const [camera, setCamera] = useState<MediaStream | null>(null);
  const videoRef = useRef<HTMLVideoElement>(null);
  const previewRef = useRef<HTMLCanvasElement>(null);
  const { onImage } = props;

  const take = async (blob: Blob & { name?: string }) => {
    setBusy(true);
    try {
      onImage(await decodeImageFile(blob));
      setError(null);
    } catch (e) {
      setError(e instanceof ImageInputError ? e.message : `The image could not be read: ${(e as Error).message}`);
    } finally {
      setBusy(false);
    }
  };
  const takeRef = useRef(take);
  takeRef.current = take;

  // Paste anywhere on the page (except into text fields).
  useEffect(() => {
    const onPaste = (e: ClipboardEvent) => {
      const t = e.target as HTMLElement | null;
      if (t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA')) return;
      const file = Array.from(e.clipboardData?.files ?? [])[0];
      if (file) {
        e.preventDefault();
        void takeRef.current(file);
      } else if (e.clipboardData?.types.includes('text/plain')) {
        setError('The clipboard holds text, not an image. Copy an image (e.g. right-click → Copy image) and paste again.');
      }
    };
    window.addEventListener('paste', onPaste);
    return () => window.removeEventListener('paste', onPaste);
  }, []);

  useEffect(() => {
    if (props.image) paint(previewRef.current, props.image.rgba, props.image.width, props.image.height);
  }, [props.image]);

  useEffect(() => {
    if (camera && videoRef.current) {
      videoRef.current.srcObject = camera;
      void videoRef.current.play().catch(() => undefined);
    }
    return () => camera?.getTracks().forEach((t) => t.stop());
  }, [camera]);

  const canCamera = typeof navigator !== 'undefined' && !!navigator.mediaDevices?.getUserMedia;
  const openCamera = async () => {
    try {
      setCamera(await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false }));
      setError(null);
    } catch (e) {
      setError(`The camera is not available: ${(e as Error).message}`);
    }
  };
  const snap = () => {
    try {
      if (videoRef.current) onImage(snapshotVideo(videoRef.current));
      setCamera(null);
    } catch (e) {
      setError((e as Error).message);
    }
  };

  const { width: w, height: h } = props.image ?? { width: 1, height: 1 };
  const crop = centerCropRect(h, w);
  return (
    <div
      className={`image-input panel ${drag ? 'dragging' : ''}`}
      data-testid="dropzone"
      onDragOver={(e) => { e.preventDefault(); setDrag(true); }}
      onDragLeave={() => setDrag(false)}
      onDrop={(e) => {
        e.preventDefault();
        setDrag(false);
        const f = e.dataTransfer.files[0];
        if (f) void take(f);
        else setError('Nothing to use was dropped: drop an image file.');
      }}
    >
      <h2>Image</h2>
      <div className="row wrap">
        <label className="button-like">
          Choose image…
          <input type="file" accept="image/*" aria-label="Image file" className="sr-only" onChange={(e) => {
            const f = e.target.files?.[0];
            if (f) void take(f);
            e.target.value = '';
          }} />
        </label>
        {canCamera && !camera && <button type="button" onClick={openCamera}>Camera</button>}
        <button type="button" onClick={() => { props.onSample(); setError(null); }} data-testid="sample-button">{props.sampleCount > 1 ? 'Next sample' : 'Sample'}</button>
      </div>
      <p className="muted small">…or drop an image here, or paste one (Ctrl+V).</p>
      {camera && (
        <div className="camera">
          <video ref={videoRef} muted playsInline aria-label="Camera preview" />
          <div className="row">
            <button type="button" className="primary" onClick={snap}>Take snapshot</button>
            <button type="button" onClick={() => setCamera(null)}>Cancel</button>
          </div>
        </div>
      )}
      {error && <div className="error" role="alert" data-testid="image-error">{error}</div>}
      {!error && props.image?.note && <div className="warning small" role="status" data-testid="image-warning">{props.image.note}</div>}
      {props.workerError && <div className="error" role="alert" data-testid="image-worker-error">The model could not read this image: {props.workerError}</div>}
      {busy && <div className="muted">reading…</div>}
      <div className="source-preview" data-testid="source-preview" title={`${props.image?.name ?? ''}, ${w}×${h}`}>
        <canvas ref={previewRef} aria-label={`Input image ${props.image?.name ?? '(loading)'}`} />
        <svg viewBox={`0 0 ${w} ${h}`} preserveAspectRatio="none" aria-hidden="true">
          <path d={`M0,0H${w}V${h}H0Z M${crop.x},${crop.y}v${crop.size}h${crop.size}v${-crop.size}Z`} className="crop-shade" fillRule="evenodd" />
          <rect x={crop.x} y={crop.y} width={crop.size} height={crop.size} className="crop-rect" />
        </svg>
      </div>
      <div className="muted small" data-testid="source-name">{props.image ? `${props.image.name} · ${w}×${h} · centre crop ${crop.size}×${crop.size}` : 'loading the sample…'}</div>
      {props.children}
    </div>
  );
}
