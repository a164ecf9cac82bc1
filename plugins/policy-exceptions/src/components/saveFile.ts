/** How long the browser keeps an export's object URL after the click (the download must start first). */
export const REVOKE_AFTER_MS = 1000;

/**
 * Saves `content` as a download named `name`, as the portal's other exports do: the link is
 * attached to the document while it is clicked (some browsers ignore clicks on detached links),
 * then removed, and the object URL is revoked only after a delay (revoking at once can cancel
 * the download before it has started).
 */
export function saveFile(name: string, content: string, type: string): void {
  const href = URL.createObjectURL(new Blob([content], { type }));
  const link = document.createElement('a');
  link.href = href;
  link.download = name;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(href), REVOKE_AFTER_MS);
}
