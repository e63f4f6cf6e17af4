/** The PGD controls: ε, τ, m, paper defaults, ablation coupling, layer, loss mode, label, targeted. */
import { useEffect, useId, useMemo, useState } from 'react';
import { RANGES, useExplore } from './explore-store';

function Slider(props: { name: string; aria: string; label: string; value: number; min: number; max: number; step: number; digits: number; disabled?: boolean; onChange(v: number): void; hint?: string }) {
  const id = useId();
  return (
    <div className="slider">
      <label htmlFor={id}>
        {props.label} <output data-testid={`value-${props.name}`}>{props.value.toFixed(props.digits)}</output>
      </label>
      <input
        id={id} type="range" aria-label={props.aria} min={props.min} max={props.max} step={props.step} value={props.value}
        disabled={props.disabled} onChange={(e) => props.onChange(Number(e.target.value))}
      />
      {props.hint && <div className="muted small">{props.hint}</div>}
    </div>
  );
}

export interface ControlsProps {
  layers: Array<{ name: string; decoder: boolean }>;
  layer: string;
  hasDecoder: boolean;
  labels: string[];
  cleanTop1: number | null;
  /** What a link asked for that could not be used as it was. */
  notes?: string[];
  onDismissNotes?(): void;
  /** Encoders with decoders that can stand in for the classifier's first layers (image mode). */
  autoencoders: Array<{ id: string; name: string }>;
  /** The one in use, '' = the classifier's own layers. */
  autoencoder: string;
}

export function Controls(props: ControlsProps) {
  const s = useExplore();
  const [labelText, setLabelText] = useState('');
  const [labelError, setLabelError] = useState<string | null>(null);
  const listId = useId();
  // The class list (1000 names on ImageNet) is made once per label set: the page re-renders at every PGD
  // step, and 1000 fresh <option> elements a step cost the main thread more than the rest of the page.
  const classOptions = useMemo(() => props.labels.map((n, i) => <option key={i} value={n} />), [props.labels]);
  // Keep the text box in step with the chosen label (e.g. from a shared link).
  useEffect(() => {
    setLabelText(s.label >= 0 ? (props.labels[s.label] ?? `class ${s.label}`) : '');
    setLabelError(null);
  }, [s.label, props.labels]);

  const chooseLabel = (text: string) => {
    setLabelText(text);
    const t = text.trim().toLowerCase();
    if (!t) { s.set({ label: -1 }); setLabelError(null); return; }
    let i = props.labels.findIndex((n) => n.toLowerCase() === t);
    if (i < 0) i = props.labels.findIndex((n) => n.toLowerCase().split(',').map((x) => x.trim()).includes(t));
    if (i < 0 && /^#?\d+$/.test(t)) i = Number(t.replace('#', ''));
    if (i >= 0 && i < props.labels.length) { s.set({ label: i }); setLabelError(null); return; }
    // Still typing a name that exists: no complaint yet.
    const partial = props.labels.some((n) => n.toLowerCase().includes(t));
    setLabelError(partial ? null : `No class is called "${text}". Pick a name from the list.`);
  };

  return (
    <div className="controls panel">
      <h2>AdvBN settings</h2>
      {!!props.notes?.length && (
        <div className="warning small" role="alert" data-testid="link-notes">
          <ul>{props.notes.map((n) => <li key={n}>{n}</li>)}</ul>
          <button type="button" onClick={props.onDismissNotes}>OK</button>
        </div>
      )}
      <Slider name="epsilon" aria="ε (epsilon)" label="ε (bound on |δ − 1|)" value={s.eps} {...RANGES.eps} digits={2} onChange={(v) => s.set({ eps: v })}
        hint={s.coupled ? 'coupled: ε = m·τ − 0.1 (moving ε ends the coupling)' : undefined} />
      <Slider name="tau" aria="τ (tau, step size)" label="τ (step size)" value={s.tau} {...RANGES.tau} digits={2} onChange={(v) => s.set({ tau: v })} />
      <Slider name="steps" aria="m (steps)" label="m (PGD steps)" value={s.steps} {...RANGES.steps} digits={0} onChange={(v) => s.set({ steps: v })} />
      <div className="row wrap">
        <button type="button" onClick={() => s.paperDefaults()} title="τ = 0.2, m = 6, ε = 1.1">Paper defaults</button>
        <label className="check">
          <input type="checkbox" checked={s.coupled} onChange={(e) => s.set({ coupled: e.target.checked })} />
          ε = m·τ − 0.1 (ablation)
        </label>
      </div>
      <div className="field">
        <label>
          Autoencoder
          <select aria-label="Autoencoder" value={props.autoencoder} onChange={(e) => s.set({ ae: e.target.value, layer: '', ...(e.target.value ? { mode: 'image' as const } : {}) })}>
            <option value="">the classifier's own layers + its decoders</option>
            {props.autoencoders.map((a) => <option key={a.id} value={a.id}>{a.name} (encoder + decoder apart)</option>)}
          </select>
        </label>
        {props.autoencoder && <div className="muted small" data-testid="ae-note">loss on the classifier of the decoded image: CE(C(D(f_adv(E(x)))), y)</div>}
      </div>
      <div className="field">
        <label>
          Split layer
          <select aria-label="Split layer" value={props.layer} onChange={(e) => s.set({ layer: e.target.value })}>
            {props.layers.map((l) => <option key={l.name} value={l.name}>{l.name}{l.decoder ? '' : ' (no decoder)'}</option>)}
          </select>
        </label>
      </div>
      <div className="field">
        <span id={`${listId}-mode`}>Loss on</span>
        <div className="row" role="radiogroup" aria-labelledby={`${listId}-mode`}>
          <label className="check"><input type="radio" name="mode" checked={s.mode === 'feature' && !props.autoencoder} disabled={!!props.autoencoder} onChange={() => s.set({ mode: 'feature' })} /> features (head)</label>
          <label className="check" title={props.hasDecoder ? '' : 'needs a decoder for this layer'}>
            <input type="radio" name="mode" checked={s.mode === 'image' || !!props.autoencoder} disabled={!props.hasDecoder && s.mode !== 'image'} onChange={() => s.set({ mode: 'image' })} /> decoded image (whole classifier)
          </label>
        </div>
      </div>
      <div className="field">
        <label>
          Class to attack
          <input type="text" aria-label="Class to attack" list={listId} value={labelText} placeholder={`clean top-1${props.cleanTop1 !== null ? `: ${props.labels[props.cleanTop1]?.split(',')[0] ?? ''}` : ''}`}
            onChange={(e) => chooseLabel(e.target.value)} />
        </label>
        <datalist id={listId}>{classOptions}</datalist>
        {labelError && <div className="error small" role="alert">{labelError}</div>}
        <div className="row wrap">
          {s.label >= 0 && <button type="button" onClick={() => chooseLabel('')}>Use clean top-1</button>}
          <label className="check">
            <input type="checkbox" checked={s.targeted} onChange={(e) => s.set({ targeted: e.target.checked })} />
            targeted (pull toward the class)
          </label>
        </div>
      </div>
    </div>
  );
}
