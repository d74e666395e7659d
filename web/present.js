// The WebGL2 build's present without a second sRGB conversion.
//
// Bevy 0.19 always configures the window's surface with an sRGB format, and wgpu's WebGL2 backend
// cannot show an sRGB texture as it is: it renders the window into an SRGB8_ALPHA8 texture
// (encoded on every write), then presents it with a draw of its own that reads that texture
// (decoded on every read) and encodes the values again in its shader (a pow a channel) into the
// canvas. The conversions cancel; on a software rasteriser they cost CPU time on every canvas
// pixel of every frame (SwiftShader, 2 cores: the page delivered 8.2 frames a second with them
// and 8.9 without, web/test/cpu_profile.mjs, landscape model).
//
// On the app's canvas's context only, this module gives the window's texture a plain RGBA8 format,
// so it keeps the sRGB-encoded values the app hands it as they are, and presents it with a
// program of its own that copies them. The app's display pass (src/display/pass.rs) then writes
// encoded values instead of decoded ones: it reads `window.backdropPresent.direct`, true only
// while the window's texture is a plain one. Everything is recognised before it is changed, and
// whatever is not recognised is left to wgpu: then `direct` stays false, and the app and wgpu
// keep their own sRGB path. `?present=wgpu` on the page's address turns this off (to compare).
//
// What is recognised, on the context of `canvas` (the one the app draws into):
// - wgpu's present program: a linked program whose fragment shader samples `present_texture`
//   and encodes with `linear_to_srgb`. Its vertex shader (wgpu's, as wgpu handed it to the
//   context) is linked here with a copying fragment shader into this module's own program.
// - The window's texture: storage for one level of SRGB8_ALPHA8 at the canvas's size, allocated
//   right after its filters were set to NEAREST (wgpu does that for the window's texture alone;
//   the textures the app samples get their filters from samplers).
// - The present: `useProgram` with wgpu's present program, answered with this module's program
//   while the window's texture is a plain one.

const COPY_FRAGMENT = `#version 300 es
precision mediump float;
in vec2 uv;
uniform sampler2D present_texture;
out vec4 frag;
void main() {
  // The window's texture holds the sRGB-encoded values the canvas shows.
  frag = texture(present_texture, uv);
}
`;

function isWgpuPresentFragment(source) {
  return /uniform\s+sampler2D\s+present_texture/.test(source) && source.includes('linear_to_srgb');
}

// Wraps the context's methods (own properties of this one context object: other contexts on the
// page, and other canvases, are untouched).
function patchContext(gl, state) {
  const sources = new WeakMap();
  const attached = new WeakMap();
  let wgpuProgram = null;
  let copyProgram = null;
  let filterJustSetNearest = false;
  const original = {};
  for (const name of ['shaderSource', 'attachShader', 'linkProgram', 'texParameteri', 'texStorage2D', 'useProgram']) {
    original[name] = gl[name].bind(gl);
  }

  // This module's present program: wgpu's vertex shader, a copying fragment shader. Null if it
  // does not compile or link (then nothing is changed).
  function buildCopyProgram(vertexSource) {
    const vertex = gl.createShader(gl.VERTEX_SHADER);
    const fragment = gl.createShader(gl.FRAGMENT_SHADER);
    original.shaderSource(vertex, vertexSource);
    original.shaderSource(fragment, COPY_FRAGMENT);
    gl.compileShader(vertex);
    gl.compileShader(fragment);
    const program = gl.createProgram();
    original.attachShader(program, vertex);
    original.attachShader(program, fragment);
    original.linkProgram(program);
    gl.deleteShader(vertex);
    gl.deleteShader(fragment);
    if (!gl.getProgramParameter(program, gl.LINK_STATUS)) {
      state.problem = `the copying present program did not link: ${gl.getProgramInfoLog(program)}`;
      gl.deleteProgram(program);
      return null;
    }
    return program;
  }

  gl.shaderSource = (shader, source) => {
    sources.set(shader, source);
    return original.shaderSource(shader, source);
  };
  gl.attachShader = (program, shader) => {
    attached.set(program, [...(attached.get(program) || []), shader]);
    return original.attachShader(program, shader);
  };
  gl.linkProgram = (program) => {
    original.linkProgram(program);
    const shaders = attached.get(program) || [];
    const fragment = shaders.find((s) => isWgpuPresentFragment(sources.get(s) || ''));
    const vertex = shaders.find((s) => s !== fragment);
    if (fragment && vertex && !wgpuProgram) {
      const copy = buildCopyProgram(sources.get(vertex) || '');
      if (copy) {
        wgpuProgram = program;
        copyProgram = copy;
      }
    }
  };
  gl.texParameteri = (target, name, value) => {
    filterJustSetNearest = target === gl.TEXTURE_2D && name === gl.TEXTURE_MAG_FILTER && value === gl.NEAREST;
    return original.texParameteri(target, name, value);
  };
  gl.texStorage2D = (target, levels, format, width, height) => {
    const windowTexture = target === gl.TEXTURE_2D && levels === 1 && format === gl.SRGB8_ALPHA8 &&
      filterJustSetNearest && width === gl.canvas.width && height === gl.canvas.height;
    filterJustSetNearest = false;
    if (windowTexture) {
      // Each configuration of the window (a resize) allocates a new one.
      state.direct = copyProgram !== null;
      if (state.direct) {
        state.plainTextures += 1;
        return original.texStorage2D(target, levels, gl.RGBA8, width, height);
      }
    }
    return original.texStorage2D(target, levels, format, width, height);
  };
  gl.useProgram = (program) =>
    original.useProgram(program !== null && program === wgpuProgram && state.direct ? copyProgram : program);
}

// Installs the wrapping on `canvas`'s WebGL2 context, whenever the app asks for it.
export function presentDirectly(canvas) {
  const state = { direct: false, plainTextures: 0, problem: null };
  window.backdropPresent = state;
  const getContext = canvas.getContext.bind(canvas);
  canvas.getContext = (type, attributes) => {
    const context = getContext(type, attributes);
    if (type === 'webgl2' && context && !context.backdropPresentPatched) {
      context.backdropPresentPatched = true;
      patchContext(context, state);
    }
    return context;
  };
  return state;
}
