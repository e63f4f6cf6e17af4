/** Browser downloads of what the page made (PNG strips, fine-tuned models). */

/** Saves `blob` as `filename` through a temporary link; the object URL is revoked a little later. */
export function downloadBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
