/**
 * The composite effect, as GLSL and WGSL twins with one list of uniforms and samplers
 * (a test checks both declare them). Babylon's WebGPU engine runs offline only with WGSL.
 *   out = mix(frame, remastered.rgb, strength * hasResult * remastered.a)
 * hasResult is 0 until the first remastered frame exists: the frame passes through unchanged.
 * remastered.a is 0 on pixels the network left non-finite (NaN/inf): those pass through too.
 */
export const COMPOSITE_SHADER_NAME = "remasterComposite";
export const COMPOSITE_UNIFORMS = ["strength", "hasResult"] as const;
export const COMPOSITE_SAMPLERS = ["remasterSampler"] as const;

export const compositeGLSL = `// remasterComposite.fragment (GLSL twin)
precision highp float;
varying vec2 vUV;
uniform sampler2D textureSampler;
uniform sampler2D remasterSampler;
uniform float strength;
uniform float hasResult;

void main(void) {
    vec4 frame = texture2D(textureSampler, vUV);
    vec4 remastered = texture2D(remasterSampler, vUV);
    gl_FragColor = vec4(mix(frame.rgb, remastered.rgb, strength * hasResult * remastered.a), frame.a);
}
`;

export const compositeWGSL = `// remasterComposite.fragment (WGSL twin)
varying vUV: vec2f;
var textureSamplerSampler: sampler;
var textureSampler: texture_2d<f32>;
var remasterSamplerSampler: sampler;
var remasterSampler: texture_2d<f32>;
uniform strength: f32;
uniform hasResult: f32;

#define CUSTOM_FRAGMENT_DEFINITIONS
@fragment
fn main(input: FragmentInputs) -> FragmentOutputs {
    let frame = textureSample(textureSampler, textureSamplerSampler, input.vUV);
    let remastered = textureSample(remasterSampler, remasterSamplerSampler, input.vUV);
    fragmentOutputs.color = vec4f(
        mix(frame.rgb, remastered.rgb, uniforms.strength * uniforms.hasResult * remastered.a), frame.a);
}
`;
