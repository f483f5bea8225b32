/**
 * How the canvas shows a pipeline. Shared with the editor benchmark (bench/editor), whose plain
 * React Flow baseline must show the same part of the same graph.
 */
export const CANVAS_VIEW = {
  minZoom: 0.2,
  maxZoom: 2,
  /** Steps outside the viewport are not in the page (large pipelines stay fast). */
  onlyRenderVisibleElements: true,
} as const;
