// A dialog of the sample app: in a TSX file, "Translate Selection" translates the element text and
// the attributes people read, and leaves the code (class names, handlers, tags) as it is.
export function SaveDialog({ onClose }: { readonly onClose: () => void }) {
  return (
    <div className="dialog" title="Unsaved changes">
      <p>Please save your changes before closing the window.</p>
      <button onClick={onClose}>Close</button>
    </div>
  );
}
