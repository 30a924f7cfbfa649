//===- NNResizeOps.td - nn dialect: resampling ops ---------*- tablegen -*-===//
//
// Resampling (ONNX Resize, Upsample). DepthToSpace and SpaceToDepth are pure
// rearrangements and import as nn.reshape + nn.transpose + nn.reshape.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_NN_RESIZE_OPS
#define KILN_NN_RESIZE_OPS

def NN_ResizeOp : NN_InferredOp<"resize"> {
  let summary = "resampling by nearest, n-linear or cubic interpolation (ONNX Resize, Upsample)";
  let description = [{
    The result has shape `sizes`. Along every dimension d, output index x
    reads the source coordinate `x_ori` given by
    `coordinate_transformation_mode` with the scale `scales[d]` and the
    output length `scales[d] * input_dim(d)` (not rounded, as in the ONNX
    reference implementation):

    * `half_pixel`: (x + 0.5) / scale - 0.5
    * `pytorch_half_pixel`: as half_pixel, or -0.5 when the length is 1
    * `align_corners`: x * (in - 1) / (length - 1), or 0 when the length is 1
    * `asymmetric`: x / scale
    * `tf_half_pixel_for_nn`: (x + 0.5) / scale
    * `tf_crop_and_resize`: from `roi` (all starts, then all ends, in
      normalised coordinates); a coordinate outside [0, in - 1] gives
      `extrapolation_value`.

    `mode` is `nearest` (rounded by `nearest_mode`: `round_prefer_floor`,
    `round_prefer_ceil`, `floor`, `ceil`, or `simple`, ONNX Resize-10 and
    Upsample: floor when scale >= 1, ceil otherwise), `linear` (2 taps per
    dimension) or `cubic` (4 taps with coefficient `cubic_coeff_a`;
    `exclude_outside` drops the taps outside the input and renormalises).
    Taps outside the input read the nearest edge element. n-linear and
    cubic interpolation are separable: one dimension after the other.
  }];
  let arguments = (ins NN_Tensor:$input, DenseI64ArrayAttr:$sizes,
                   DenseF64ArrayAttr:$scales, StrAttr:$mode,
                   StrAttr:$coordinate_transformation_mode,
                   StrAttr:$nearest_mode, F64Attr:$cubic_coeff_a,
                   BoolAttr:$exclude_outside, DenseF64ArrayAttr:$roi,
                   F32Attr:$extrapolation_value);
  let results = (outs NN_Tensor:$result);
}

#endif // KILN_NN_RESIZE_OPS
