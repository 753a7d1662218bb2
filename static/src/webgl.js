// hasWebGL2 reports whether this browser can draw MapLibre GL JS maps,
// which need WebGL 2: off in some browsers, remote desktops and virtual
// machines, or turned off with hardware acceleration.
export function hasWebGL2() {
  try {
    const gl = document.createElement('canvas').getContext('webgl2');
    gl?.getExtension('WEBGL_lose_context')?.loseContext(); // give the context back at once
    return !!gl;
  } catch {
    return false;
  }
}
