// Phones (up to 640 px): the open pane covers the VISUAL viewport, the part of the page that is
// on screen, rather than the layout viewport that position: fixed follows. They differ when the
// on-screen keyboard is up (the visual viewport shrinks: the input must stay above it), when the
// visitor has zoomed, and on a host page wider than the screen: the browser then grows the layout
// viewport to the page's width (and its height in proportion), and a pane sized to it would put
// its close and send buttons off-screen. visualViewport's offsets are in the layout viewport's
// coordinates, which are what a fixed element's left and top are in.

export function installViewport(p) {
  const phone = matchMedia("(max-width: 640px)");
  const style = p.view.pane.style;
  const viewport = window.visualViewport;

  function fit() {
    const on = p.isOpen && phone.matches && viewport;
    style.left = on ? viewport.offsetLeft + "px" : "";
    style.top = on ? viewport.offsetTop + "px" : "";
    style.width = on ? viewport.width + "px" : "";
    style.height = on ? viewport.height + "px" : "";
  }
  if (viewport) {
    viewport.addEventListener("resize", fit);
    viewport.addEventListener("scroll", fit);
  }
  phone.addEventListener("change", fit);
  p.fitViewport = fit;
}
