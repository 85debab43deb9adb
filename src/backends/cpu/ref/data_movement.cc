// Shared helpers of the reference data-movement kernels: strided copies, fills, dtype conversion.
#include "src/backends/cpu/ref/data_movement.h"

#include "pl/device.h"

#include <algorithm>

namespace pl::cpu_ref {
namespace {

// Drops size-1 dims and merges a dim into the next one when src walks them as one run, so the
// innermost loop is as long as possible (a slice of whole rows becomes one memcpy).
void Coalesce(Shape* shape, std::vector<int64_t>* strides) {
  Shape s;
  std::vector<int64_t> st;
  for (size_t d = 0; d < shape->size(); ++d) {
    const int64_t dim = (*shape)[d];
    if (dim == 1) continue;
    if (!s.empty() && st.back() == (*strides)[d] * dim) {
      s.back() *= dim;
      st.back() = (*strides)[d];
    } else {
      s.push_back(dim);
      st.push_back((*strides)[d]);
    }
  }
  *shape = std::move(s);
  *strides = std::move(st);
}

template <typename T>
void GatherRun(T* dst, const T* src, int64_t n, int64_t stride) {
  for (int64_t i = 0; i < n; ++i) dst[i] = src[i * stride];
}

// Copies n elements read `stride` elements apart into contiguous dst.
void CopyRun(char* dst, const char* src, int64_t n, int64_t stride, size_t esz) {
  if (stride == 1) {
    std::memcpy(dst, src, static_cast<size_t>(n) * esz);
    return;
  }
  switch (esz) {
    case 1: GatherRun(reinterpret_cast<uint8_t*>(dst), reinterpret_cast<const uint8_t*>(src), n, stride); return;
    case 2: GatherRun(reinterpret_cast<uint16_t*>(dst), reinterpret_cast<const uint16_t*>(src), n, stride); return;
    case 4: GatherRun(reinterpret_cast<uint32_t*>(dst), reinterpret_cast<const uint32_t*>(src), n, stride); return;
    case 8: GatherRun(reinterpret_cast<uint64_t*>(dst), reinterpret_cast<const uint64_t*>(src), n, stride); return;
    default:
      for (int64_t i = 0; i < n; ++i) std::memcpy(dst + i * esz, src + i * stride * static_cast<int64_t>(esz), esz);
  }
}

}  // namespace

std::vector<int64_t> ContiguousStrides(const Shape& shape) {
  std::vector<int64_t> s(shape.size(), 1);
  for (int d = static_cast<int>(shape.size()) - 2; d >= 0; --d) s[d] = s[d + 1] * shape[d + 1];
  return s;
}

Status CopyView(KernelContext& ctx, const Tensor& x, int64_t offset, const Shape& shape,
                const std::vector<int64_t>& src_strides, Tensor* y) {
  if (x.dtype() == DataType::kString) {
    // Strings (host only): element by element, std::string assignment.
    if (!x.device().is_host() || !y->device().is_host())
      return Status::Unimplemented(ctx.node().Describe() + ": string tensors live on the host only");
    const std::string* in = x.Data<std::string>() + offset;
    std::string* out = y->MutableData<std::string>();
    const int64_t n = ShapeNumElements(shape), r = static_cast<int64_t>(shape.size());
    std::vector<int64_t> idx(r, 0);
    int64_t src = 0;
    for (int64_t i = 0; i < n; ++i) {
      out[i] = in[src];
      for (int64_t d = r - 1; d >= 0; --d) {  // odometer step: next row-major index, source moves by its stride
        src += src_strides[d];
        if (++idx[d] < shape[d]) break;
        src -= src_strides[d] * shape[d];
        idx[d] = 0;
      }
    }
    return Status::Ok();
  }
  const size_t esz = DataTypeSize(x.dtype());
  const char* src = static_cast<const char*>(x.RawData()) + offset * static_cast<int64_t>(esz);
  if (x.device().is_host() && y->device().is_host()) {
    StridedCopy(y->RawMutableData(), src, shape, src_strides, esz, ctx.intra_op_threads());
    return Status::Ok();
  }
  const DeviceBackend* d = FindDeviceBackend(y->device().type);
  if (!d || x.device() != y->device())
    return Status::Internal(ctx.node().Describe() + ": input and output are on different devices");
  return d->CopyStrided(y->device().id, y->RawMutableData(), src, esz, shape, src_strides,
                        static_cast<DeviceResources*>(ctx.backend_resources()));
}

void StridedCopy(void* dst, const void* src, const Shape& shape, const std::vector<int64_t>& src_strides,
                 size_t elem_size, int threads) {
  const int64_t n = ShapeNumElements(shape);
  if (n <= 0) return;
  Shape s = shape;
  std::vector<int64_t> st = src_strides;
  Coalesce(&s, &st);
  if (s.empty()) {
    std::memcpy(dst, src, elem_size);
    return;
  }
  const int r = static_cast<int>(s.size());
  const int64_t len = s[r - 1], inner_stride = st[r - 1];
  const int64_t rows = n / len;
  const int64_t esz = static_cast<int64_t>(elem_size);
  auto run = [&](int64_t row_begin, int64_t row_end) {
    std::vector<int64_t> idx(r, 0);
    int64_t rem = row_begin, off = 0;
    for (int d = r - 2; d >= 0; --d) {
      idx[d] = rem % s[d];
      rem /= s[d];
      off += idx[d] * st[d];
    }
    char* out = static_cast<char*>(dst) + row_begin * len * esz;
    for (int64_t row = row_begin; row < row_end; ++row) {
      CopyRun(out, static_cast<const char*>(src) + off * esz, len, inner_stride, elem_size);
      out += len * esz;
      for (int d = r - 2; d >= 0; --d) {
        off += st[d];
        if (++idx[d] < s[d]) break;
        off -= st[d] * s[d];
        idx[d] = 0;
      }
    }
  };
  // Threads pay off only once a copy is well beyond the caches' bandwidth sweet spot.
  int64_t t = n * esz < (int64_t{1} << 20) ? 1 : std::min<int64_t>(std::max(threads, 1), rows);
  if (t <= 1) {
    run(0, rows);
    return;
  }
#pragma omp parallel for num_threads(static_cast<int>(t)) schedule(static)
  for (int64_t c = 0; c < t; ++c) run(rows * c / t, rows * (c + 1) / t);
}

void FillElements(void* dst, const void* value, int64_t n, size_t elem_size) {
  if (n <= 0) return;
  char* out = static_cast<char*>(dst);
  const char* v = static_cast<const char*>(value);
  bool uniform = true;  // every byte equal (zeros, bool, int8...): memset
  for (size_t b = 1; b < elem_size; ++b) uniform &= v[b] == v[0];
  if (uniform) {
    std::memset(out, v[0], static_cast<size_t>(n) * elem_size);
    return;
  }
  std::memcpy(out, v, elem_size);
  // Doubling copies: log2(n) memcpy calls instead of n.
  size_t done = elem_size;
  const size_t total = static_cast<size_t>(n) * elem_size;
  while (done < total) {
    const size_t k = std::min(done, total - done);
    std::memcpy(out + done, out, k);
    done += k;
  }
}

Status CheckMovable(DataType dt, const NodeInfo& node, const char* what) {
  return dt == DataType::kString ? Status::Ok() : CheckCopyable(dt, node, what);
}

Status CheckCopyable(DataType dt, const NodeInfo& node, const char* what) {
  if (DataTypeSize(dt) == 0)
    return Status::Unimplemented(node.Describe() + ": " + what + " has dtype " + DataTypeName(dt) +
                                 ", which this kernel cannot copy");
  return Status::Ok();
}

uint16_t FloatToHalf(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  const uint32_t sign = (x >> 16) & 0x8000u;
  x &= 0x7fffffffu;
  if (x >= 0x7f800000u) return static_cast<uint16_t>(sign | (x > 0x7f800000u ? 0x7e00u : 0x7c00u));  // NaN / inf
  if (x >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);  // rounds to >= 65520: inf
  if (x < 0x38800000u) {  // subnormal half (or zero)
    if (x < 0x33000000u) return static_cast<uint16_t>(sign);
    const uint32_t e = x >> 23;
    const uint32_t m = (x & 0x7fffffu) | 0x800000u;
    const uint32_t shift = 126 - e;  // 14..24
    uint32_t h = m >> shift;
    const uint32_t rem = m & ((1u << shift) - 1), half = 1u << (shift - 1);
    if (rem > half || (rem == half && (h & 1u))) ++h;
    return static_cast<uint16_t>(sign | h);
  }
  uint32_t h = ((x - 0x38000000u) >> 13);
  const uint32_t rem = x & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) ++h;
  return static_cast<uint16_t>(sign | h);
}

float HalfToFloat(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  uint32_t e = (h >> 10) & 0x1fu, m = h & 0x3ffu, x;
  if (e == 0x1f) {
    x = sign | 0x7f800000u | (m << 13);
  } else if (e == 0) {
    if (m == 0) {
      x = sign;
    } else {  // subnormal: normalize
      e = 113;
      while (!(m & 0x400u)) { m <<= 1; --e; }
      x = sign | (e << 23) | ((m & 0x3ffu) << 13);
    }
  } else {
    x = sign | ((e + 112) << 23) | (m << 13);
  }
  float f;
  std::memcpy(&f, &x, 4);
  return f;
}

bool StoreDouble(DataType dt, double v, void* dst) {
  if (dt == DataType::kFloat16) {
    const uint16_t h = FloatToHalf(static_cast<float>(v));
    std::memcpy(dst, &h, 2);
    return true;
  }
  if (dt == DataType::kBool) {
    *static_cast<bool*>(dst) = v != 0;
    return true;
  }
  return VisitNumericType(dt, [&](auto zero) {
    using T = decltype(zero);
    *static_cast<T*>(dst) = static_cast<T>(v);
  });
}

double LoadDouble(const Tensor& t, int64_t i) {
  if (t.dtype() == DataType::kFloat16) return HalfToFloat(t.Data<uint16_t>()[i]);
  return ReadAsDouble(t, i);
}

StatusOr<std::vector<int64_t>> ReadIntsInput(const KernelContext& ctx, int i, const char* what, bool* present) {
  const Tensor* t = ctx.Input(i);
  *present = t != nullptr;
  if (!t) return std::vector<int64_t>();
  if (t->rank() > 1)
    return Status::InvalidArgument(ctx.node().Describe() + ": " + what + " must be 1-D, got shape " +
                                   ShapeToString(t->shape()));
  return ReadInts(*t, ctx.node(), what);
}

}  // namespace pl::cpu_ref
