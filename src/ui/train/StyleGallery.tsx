/**
 * The styles behind the report's rows: a few images of every training style and every held-out style
 * of the style world, with each family's description. The worker draws them with the very generator
 * it trains on ('styleworld.gallery').
 */
import { useEffect, useRef, useState } from 'react';
import { engine, RequestCancelled } from '../../worker/client';
import type { GalleryFamily, GalleryResult } from '../../worker/style-world-protocol';

function Thumb({ rgba, size }: { rgba: Uint8ClampedArray; size: number }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const c = ref.current;
    if (!c) return;
    c.getContext('2d')!.putImageData(new ImageData(new Uint8ClampedArray(rgba), size, size), 0, 0);
  }, [rgba, size]);
  return <canvas ref={ref} width={size} height={size} className="thumb" />;
}

function Family({ f, size }: { f: GalleryFamily; size: number }) {
  return (
    <figure className="family" data-testid={`family-${f.name}`} data-split={f.split}>
      <div className="thumbs">{f.images.map((im, i) => <Thumb key={i} rgba={im} size={size} />)}</div>
      <figcaption><strong>{f.name}</strong> <span className="muted small">{f.description}</span></figcaption>
    </figure>
  );
}

export function StyleGallery({ count = 4 }: { count?: number }) {
  const [g, setG] = useState<GalleryResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const ctrl = new AbortController();
    engine().request('styleworld.gallery', { count }, { signal: ctrl.signal })
      .then((r) => { if (!ctrl.signal.aborted) setG(r); })
      .catch((e: Error) => { if (!ctrl.signal.aborted && !(e instanceof RequestCancelled)) setError(e.message); });
    return () => ctrl.abort();
  }, [count]);
  const train = g?.families.filter((f) => f.split === 'train') ?? [];
  const held = g?.families.filter((f) => f.split === 'heldout') ?? [];
  return (
    <div className="panel style-gallery" data-testid="style-gallery">
      <h3>The style world: what the model trains on, and what it is tested on</h3>
      <p className="muted small">The class is the shape; the style is everything else. Fine-tuning sees only the training styles; each held-out style is a test set of its own (a row of the table).</p>
      {error && <div className="error" role="alert">{error}</div>}
      {!g && !error && <p className="muted small">drawing the styles…</p>}
      {g && (
        <>
          <h4>training styles</h4>
          <div className="families">{train.map((f) => <Family key={f.name} f={f} size={g.size} />)}</div>
          <h4>held-out styles (never seen in training)</h4>
          <div className="families">{held.map((f) => <Family key={f.name} f={f} size={g.size} />)}</div>
        </>
      )}
    </div>
  );
}
