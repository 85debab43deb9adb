// Every cpu_ref kernel registration function, one line each: the one place that lists what the
// reference backend implements (X-macro; see register.cc). Each function lives in the named file
// and registers the ops listed beside it.
PL_CPU_REF_KERNEL(Unary)          // unary.cc: Relu Sigmoid HardSigmoid Sqrt Tanh Erf Exp Log Shrink IsNaN IsInf ...
PL_CPU_REF_KERNEL(Binary)         // binary.cc: Add Sub Mul Div Pow Mod BitShift PRelu
PL_CPU_REF_KERNEL(Logical)        // logical.cc: Equal Greater Less ... Not And Or Xor Where
PL_CPU_REF_KERNEL(Variadic)       // variadic.cc: Max Min Sum Mean
PL_CPU_REF_KERNEL(Clip)           // clip.cc: Clip (attribute and input forms)
PL_CPU_REF_KERNEL(Softmax)        // softmax.cc: Softmax LogSoftmax Hardmax (both opset semantics)
PL_CPU_REF_KERNEL(MatMul)         // matmul.cc: MatMul Gemm
PL_CPU_REF_KERNEL(Reduce)         // reduce.cc: Reduce* ArgMax ArgMin
PL_CPU_REF_KERNEL(Cast)           // cast.cc: Cast CastLike
PL_CPU_REF_KERNEL(MathMisc)       // math_misc.cc: CumSum TopK Einsum Det
PL_CPU_REF_KERNEL(Conv)           // conv.cc: Conv
PL_CPU_REF_KERNEL(ConvTranspose)  // conv_transpose.cc: ConvTranspose
PL_CPU_REF_KERNEL(BatchNorm)      // batch_norm.cc: BatchNormalization
PL_CPU_REF_KERNEL(Pool)           // pool.cc: MaxPool AveragePool GlobalAveragePool GlobalMaxPool
PL_CPU_REF_KERNEL(Normalization)  // normalization.cc: LayerNormalization InstanceNormalization LRN
PL_CPU_REF_KERNEL(ShapeOps)       // shape.cc: Shape Size
PL_CPU_REF_KERNEL(Slice)          // slice.cc: Slice
PL_CPU_REF_KERNEL(Concat)         // concat.cc: Concat
PL_CPU_REF_KERNEL(Reshape)        // reshape.cc: Reshape Flatten Squeeze Unsqueeze
PL_CPU_REF_KERNEL(Transpose)      // transpose.cc: Transpose
PL_CPU_REF_KERNEL(Gather)         // gather.cc: Gather GatherElements GatherND ScatterND ScatterElements
PL_CPU_REF_KERNEL(ExpandTile)     // expand_tile.cc: Expand Tile
PL_CPU_REF_KERNEL(Split)          // split.cc: Split
PL_CPU_REF_KERNEL(Pad)            // pad.cc: Pad
PL_CPU_REF_KERNEL(Generators)     // generators.cc: Constant Identity Dropout Range ConstantOfShape OneHot
PL_CPU_REF_KERNEL(DepthSpace)     // depth_space.cc: DepthToSpace SpaceToDepth
PL_CPU_REF_KERNEL(IndexOps)       // index_ops.cc: NonZero Trilu
PL_CPU_REF_KERNEL(Resize)         // resize.cc: Resize Upsample
PL_CPU_REF_KERNEL(ControlFlow)    // control_flow.cc: If Loop Scan
PL_CPU_REF_KERNEL(Recurrent)      // rnn.cc: LSTM GRU RNN
PL_CPU_REF_KERNEL(NonMaxSuppression)  // nms.cc: NonMaxSuppression
PL_CPU_REF_KERNEL(Roi)                // roi.cc: RoiAlign MaxRoiPool
PL_CPU_REF_KERNEL(Strings)            // strings.cc: StringNormalizer TfIdfVectorizer
PL_CPU_REF_KERNEL(Quantize)           // quantize.cc: QuantizeLinear DequantizeLinear DynamicQuantizeLinear
PL_CPU_REF_KERNEL(QLinear)            // qlinear.cc: QLinearConv QLinearMatMul ConvInteger MatMulInteger
PL_CPU_REF_KERNEL(Signal)             // signal.cc: DFT STFT HannWindow HammingWindow BlackmanWindow MelWeightMatrix
PL_CPU_REF_KERNEL(GridSample)         // grid_sample.cc: GridSample
PL_CPU_REF_KERNEL(Selection)          // selection.cc: Unique Compress ReverseSequence
PL_CPU_REF_KERNEL(MaxUnpool)          // max_unpool.cc: MaxUnpool
PL_CPU_REF_KERNEL(MeanVarianceNormalization)  // mvn.cc: MeanVarianceNormalization
PL_CPU_REF_KERNEL(Random)             // random.cc: RandomNormal RandomUniform *Like Multinomial Bernoulli
PL_CPU_REF_KERNEL(Sequence)           // sequence.cc: Sequence* SplitToSequence ConcatFromSequence Optional*
