// StringNormalizer (10; string [C] or [1,C]: stopword removal, then LOWER/UPPER/NONE) and
// TfIdfVectorizer (9; int32/int64/string [C] or [N,C] -> float counts of the pool's n-grams,
// TF/IDF/TFIDF, skip-grams up to max_skip_count).
#include <algorithm>
#include <cctype>
#include <locale>
#include <map>
#include <set>

#include "src/backends/cpu/ref/math_util.h"

namespace pl::cpu_ref {
namespace {

// ---------------------------------------------------------------- UTF-8 case mapping
// Decodes UTF-8 into code points; invalid bytes are kept as single units (mapped as themselves).
std::u32string DecodeUtf8(const std::string& s) {
  std::u32string out;
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    int len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    char32_t cp = len == 1 ? c : len == 2 ? (c & 0x1f) : len == 3 ? (c & 0x0f) : (c & 0x07);
    bool ok = len > 0 && i + len <= s.size();
    for (int k = 1; ok && k < len; ++k) {
      const unsigned char d = static_cast<unsigned char>(s[i + k]);
      ok = (d >> 6) == 0x2;
      cp = (cp << 6) | (d & 0x3f);
    }
    if (!ok) { out.push_back(0x80000000u | c); ++i; continue; }  // raw byte marker
    out.push_back(cp);
    i += len;
  }
  return out;
}

std::string EncodeUtf8(const std::u32string& s) {
  std::string out;
  for (char32_t cp : s) {
    if (cp & 0x80000000u) { out.push_back(static_cast<char>(cp & 0xff)); continue; }
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out.push_back(static_cast<char>(0xc0 | (cp >> 6)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    } else if (cp < 0x10000) {
      out.push_back(static_cast<char>(0xe0 | (cp >> 12)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    } else {
      out.push_back(static_cast<char>(0xf0 | (cp >> 18)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    }
  }
  return out;
}

// Case mapping through a UTF-8 locale's ctype<wchar_t> (the node's `locale`, else C.UTF-8);
// ASCII only when no such locale is installed. Immutable once built; ctype is const-safe.
class CaseMapper {
 public:
  explicit CaseMapper(const std::string& name) {
    for (const std::string& n : {name, std::string("C.UTF-8"), std::string("en_US.UTF-8")}) {
      if (n.empty()) continue;
      try {
        loc_ = std::locale(n.find('.') == std::string::npos ? n + ".UTF-8" : n);
        ctype_ = &std::use_facet<std::ctype<wchar_t>>(loc_);
        return;
      } catch (const std::exception&) {
      }
    }
  }
  std::string Map(const std::string& s, bool upper) const {
    std::u32string u = DecodeUtf8(s);
    for (char32_t& c : u) {
      if (c & 0x80000000u) continue;
      if (ctype_ && c <= 0x10ffff) {
        c = static_cast<char32_t>(upper ? ctype_->toupper(static_cast<wchar_t>(c)) : ctype_->tolower(static_cast<wchar_t>(c)));
      } else if (c < 0x80) {
        c = static_cast<char32_t>(upper ? std::toupper(static_cast<int>(c)) : std::tolower(static_cast<int>(c)));
      }
    }
    return EncodeUtf8(u);
  }

 private:
  std::locale loc_;
  const std::ctype<wchar_t>* ctype_ = nullptr;
};

// ---------------------------------------------------------------- StringNormalizer
class StringNormalizerKernel final : public Kernel {
 public:
  Status Init(const NodeInfo& node) override {
    const std::string action = node.Attr<std::string>("case_change_action", "NONE");
    if (action == "LOWER") action_ = -1;
    else if (action == "UPPER") action_ = 1;
    else if (action != "NONE")
      return Status::ModelError(node.Describe() + ": case_change_action '" + action + "' is not NONE, LOWER or UPPER");
    case_sensitive_ = node.Attr<int64_t>("is_case_sensitive", 0) != 0;
    mapper_ = std::make_unique<CaseMapper>(node.Attr<std::string>("locale", ""));
    for (const std::string& w : node.Attr<std::vector<std::string>>("stopwords", {}))
      stopwords_.insert(case_sensitive_ ? w : mapper_->Map(w, false));
    return Status::Ok();
  }

  Status Compute(KernelContext& ctx) const override {
    const NodeInfo& node = ctx.node();
    const Tensor* x = ctx.Input(0);
    if (!x) return MissingInput(node, 0);
    if (x->dtype() != DataType::kString)
      return Status::InvalidArgument(node.Describe() + ": input must be a string tensor, got " + DataTypeName(x->dtype()));
    const bool two_d = x->rank() == 2;
    if (!(x->rank() == 1 || (two_d && x->dim(0) == 1)))
      return Status::InvalidArgument(node.Describe() + ": input shape " + ShapeToString(x->shape()) +
                                     " must be [C] or [1, C]");
    const std::string* in = x->Data<std::string>();
    std::vector<std::string> kept;
    for (int64_t i = 0; i < x->NumElements(); ++i) {
      if (!stopwords_.empty() && stopwords_.count(case_sensitive_ ? in[i] : mapper_->Map(in[i], false))) continue;
      kept.push_back(action_ == 0 ? in[i] : mapper_->Map(in[i], action_ > 0));
    }
    // Everything filtered out: one empty string, as ONNX specifies.
    if (kept.empty()) kept.emplace_back();
    const int64_t c = static_cast<int64_t>(kept.size());
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, two_d ? Shape{1, c} : Shape{c}, DataType::kString));
    std::string* out = y->MutableData<std::string>();
    for (int64_t i = 0; i < c; ++i) out[i] = std::move(kept[i]);
    return Status::Ok();
  }

 private:
  int action_ = 0;  // -1 lower, 0 none, 1 upper
  bool case_sensitive_ = false;
  std::unique_ptr<CaseMapper> mapper_;
  std::set<std::string> stopwords_;
};

// ---------------------------------------------------------------- TfIdfVectorizer
class TfIdfVectorizerKernel final : public Kernel {
 public:
  Status Init(const NodeInfo& node) override {
    const std::string d = node.Describe();
    PL_ASSIGN_OR_RETURN(min_n_, node.RequiredAttr<int64_t>("min_gram_length"));
    PL_ASSIGN_OR_RETURN(max_n_, node.RequiredAttr<int64_t>("max_gram_length"));
    PL_ASSIGN_OR_RETURN(max_skip_, node.RequiredAttr<int64_t>("max_skip_count"));
    PL_ASSIGN_OR_RETURN(std::string mode, node.RequiredAttr<std::string>("mode"));
    PL_ASSIGN_OR_RETURN(std::vector<int64_t> counts, node.RequiredAttr<std::vector<int64_t>>("ngram_counts"));
    PL_ASSIGN_OR_RETURN(std::vector<int64_t> indexes, node.RequiredAttr<std::vector<int64_t>>("ngram_indexes"));
    if (mode == "TF") mode_ = 0;
    else if (mode == "IDF") mode_ = 1;
    else if (mode == "TFIDF") mode_ = 2;
    else return Status::ModelError(d + ": mode '" + mode + "' is not TF, IDF or TFIDF");
    if (min_n_ < 1 || max_n_ < min_n_ || max_skip_ < 0)
      return Status::ModelError(d + ": need 1 <= min_gram_length <= max_gram_length and max_skip_count >= 0");
    weights_ = node.Attr<std::vector<float>>("weights", {});
    strings_ = node.HasAttr("pool_strings");
    std::vector<int64_t> ints = node.Attr<std::vector<int64_t>>("pool_int64s", {});
    std::vector<std::string> strs = node.Attr<std::vector<std::string>>("pool_strings", {});
    if (strings_ == node.HasAttr("pool_int64s"))
      return Status::ModelError(d + ": exactly one of pool_int64s and pool_strings must be given");
    // Tokens are interned to ids (pool_int64s values as themselves, strings by their pool order),
    // so the matching below is one code path.
    std::vector<int64_t> pool;
    if (strings_) {
      for (const std::string& s : strs) pool.push_back(string_ids_.emplace(s, static_cast<int64_t>(string_ids_.size())).first->second);
    } else {
      pool = ints;
    }
    const int64_t total = static_cast<int64_t>(pool.size());
    int64_t ngram = 0;
    for (size_t k = 0; k < counts.size(); ++k) {
      const int64_t n = static_cast<int64_t>(k) + 1;
      const int64_t b = counts[k], e = k + 1 < counts.size() ? counts[k + 1] : total;
      if (b < 0 || e < b || e > total || (e - b) % n != 0)
        return Status::ModelError(d + ": ngram_counts " + std::to_string(k) + " does not split the pool into " +
                                  std::to_string(n) + "-grams");
      for (int64_t p = b; p < e; p += n, ++ngram) {
        if (ngram >= static_cast<int64_t>(indexes.size()))
          return Status::ModelError(d + ": ngram_indexes has fewer entries than the pool has n-grams");
        if (indexes[ngram] < 0) return Status::ModelError(d + ": negative ngram_indexes entry");
        grams_[std::vector<int64_t>(pool.begin() + p, pool.begin() + p + n)] = indexes[ngram];
        width_ = std::max(width_, indexes[ngram] + 1);
      }
    }
    if (!weights_.empty() && weights_.size() != indexes.size())
      return Status::ModelError(d + ": weights has " + std::to_string(weights_.size()) + " entries, ngram_indexes " +
                                std::to_string(indexes.size()));
    for (size_t i = 0; i < weights_.size(); ++i) weight_at_[indexes[i]] = weights_[i];
    return Status::Ok();
  }

  Status Compute(KernelContext& ctx) const override {
    const NodeInfo& node = ctx.node();
    const Tensor* x = ctx.Input(0);
    if (!x) return MissingInput(node, 0);
    const bool is_str = x->dtype() == DataType::kString;
    if (is_str != strings_ || (!is_str && x->dtype() != DataType::kInt32 && x->dtype() != DataType::kInt64))
      return Status::InvalidArgument(node.Describe() + ": input dtype " + DataTypeName(x->dtype()) + " does not match " +
                                     (strings_ ? "pool_strings" : "pool_int64s (int32/int64 input)"));
    if (x->rank() != 1 && x->rank() != 2)
      return Status::InvalidArgument(node.Describe() + ": input shape " + ShapeToString(x->shape()) + " must be [C] or [N, C]");
    const int64_t rows = x->rank() == 2 ? x->dim(0) : 1, c = x->dim(x->rank() - 1);
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, x->rank() == 2 ? Shape{rows, width_} : Shape{width_}, DataType::kFloat32));
    float* out = y->MutableData<float>();
    std::fill(out, out + y->NumElements(), 0.f);
    std::vector<int64_t> tokens(static_cast<size_t>(c)), gram;
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t i = 0; i < c; ++i) {
        const int64_t e = r * c + i;
        if (is_str) {
          auto it = string_ids_.find(x->Data<std::string>()[e]);
          tokens[i] = it == string_ids_.end() ? -1 : it->second;  // -1: in no n-gram
        } else {
          tokens[i] = ReadInt(*x, e);
        }
      }
      float* row = out + r * width_;
      for (int64_t start = 0; start < c; ++start) {
        for (int64_t n = min_n_; n <= max_n_; ++n) {
          // A unigram has no gaps: it counts once whatever the skip.
          for (int64_t skip = 0; skip <= (n == 1 ? 0 : max_skip_); ++skip) {
            if (start + (n - 1) * (skip + 1) >= c) break;
            gram.clear();
            for (int64_t j = 0; j < n; ++j) gram.push_back(tokens[start + j * (skip + 1)]);
            auto it = grams_.find(gram);
            if (it != grams_.end()) row[it->second] += 1.f;
          }
        }
      }
      for (int64_t k = 0; k < width_; ++k) {
        auto w = weight_at_.find(k);
        const float weight = w == weight_at_.end() ? 1.f : w->second;
        if (mode_ == 1) row[k] = row[k] > 0 ? weight : 0.f;
        else if (mode_ == 2) row[k] *= weight;
      }
    }
    return Status::Ok();
  }

 private:
  int64_t min_n_ = 1, max_n_ = 1, max_skip_ = 0, width_ = 0;
  int mode_ = 0;  // 0 TF, 1 IDF, 2 TFIDF
  bool strings_ = false;
  std::vector<float> weights_;
  std::map<int64_t, float> weight_at_;
  std::map<std::string, int64_t> string_ids_;
  std::map<std::vector<int64_t>, int64_t> grams_;  // n-gram (token ids) -> output column
};

}  // namespace

void RegisterStrings(KernelRegistry& r) {
  Add<StringNormalizerKernel>(r, RefDef("StringNormalizer").Opset(10).Types<std::string>());
  Add<TfIdfVectorizerKernel>(r, RefDef("TfIdfVectorizer").Opset(9).Types<std::string, int32_t, int64_t>());
}

}  // namespace pl::cpu_ref
