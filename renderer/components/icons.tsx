/** Small line icons drawn as SVG, so they look the same without an emoji font. */
export function FolderIcon() {
  return (
    <svg className="icon" viewBox="0 0 16 16" aria-hidden="true" focusable="false">
      <path d="M1.5 3.5h4.5l1.5 1.5h7v8h-13z" fill="#f3c969" stroke="#b8892a" strokeWidth="1" strokeLinejoin="round" />
    </svg>
  );
}

export function FileIcon() {
  return (
    <svg className="icon" viewBox="0 0 16 16" aria-hidden="true" focusable="false">
      <path d="M3.5 1.5h6l3 3v10h-9z" fill="#fff" stroke="#6b7a8c" strokeWidth="1" strokeLinejoin="round" />
      <path d="M9.5 1.5v3h3" fill="none" stroke="#6b7a8c" strokeWidth="1" />
      <path d="M5.5 8h5M5.5 10h5M5.5 12h3" stroke="#2458c6" strokeWidth="1" />
    </svg>
  );
}
