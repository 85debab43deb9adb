// Every cpu_ref kernel registration function, one line each: the one place that lists what the
// reference backend implements (X-macro; see register.cc). Each function lives in its op's file.
PL_CPU_REF_KERNEL(Unary)        // unary.cc: Relu Sigmoid HardSigmoid Sqrt ...
PL_CPU_REF_KERNEL(Binary)       // binary.cc: Add Sub Mul Div Pow
