// paddle_infer::Predictor / CreatePredictor / services::PredictorPool -> pl::Predictor and
// pl::services::PredictorPool. Status errors become glog lines and Paddle's return values.
#include <glog/logging.h>

#include "paddle_like/paddle_inference_api.h"
#include "pl/predictor.h"
#include "services/predictor_pool.h"

namespace paddle_infer {
namespace {

int IndexOf(const std::vector<std::string>& names, const std::string& name) {
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return static_cast<int>(i);
  return -1;
}

DataType DTypeOf(pl::DataType t) {
  switch (t) {
    case pl::DataType::kFloat64: return FLOAT64;
    case pl::DataType::kInt64: return INT64;
    case pl::DataType::kInt32: return INT32;
    case pl::DataType::kUint8: return UINT8;
    case pl::DataType::kInt8: return INT8;
    case pl::DataType::kFloat16: return FLOAT16;
    case pl::DataType::kBool: return BOOL;
    default: return FLOAT32;
  }
}

std::map<std::string, std::vector<int64_t>> Shapes(const std::vector<pl::ValueInfo>& infos) {
  std::map<std::string, std::vector<int64_t>> m;
  for (const auto& vi : infos) m[vi.name] = vi.shape;
  return m;
}

std::map<std::string, DataType> Types(const std::vector<pl::ValueInfo>& infos) {
  std::map<std::string, DataType> m;
  for (const auto& vi : infos) m[vi.name] = DTypeOf(vi.dtype);
  return m;
}

bool Usable(pl::Predictor* p, const char* what) {
  if (!p) LOG(ERROR) << "paddle_like: Predictor::" << what << ": the predictor failed to build (see the log above)";
  return p != nullptr;
}

}  // namespace

Predictor::Predictor(const Config& config) {
  auto p = pl::Predictor::Create(config.native());
  if (!p.ok()) {
    LOG(ERROR) << "paddle_like: cannot create predictor: " << p.status().ToString();
    return;
  }
  owned_ = std::move(p).value();
  predictor_ = owned_.get();
  profile_ = config.profile_enabled();
  if (profile_) predictor_->EnableProfiling(true);
  if (!config.glog_info_disabled())
    LOG(INFO) << "paddle_like: predictor ready (" << predictor_->InputNames().size() << " inputs, "
              << predictor_->OutputNames().size() << " outputs)";
}

Predictor::Predictor(pl::Predictor* borrowed, Borrowed) : predictor_(borrowed) {}
Predictor::~Predictor() = default;

std::shared_ptr<Predictor> CreatePredictor(const Config& config) {
  auto p = std::make_shared<Predictor>(config);
  if (!p->native()) return nullptr;
  return p;
}

std::vector<std::string> Predictor::GetInputNames() {
  return Usable(predictor_, "GetInputNames") ? predictor_->InputNames() : std::vector<std::string>{};
}
std::vector<std::string> Predictor::GetOutputNames() {
  return Usable(predictor_, "GetOutputNames") ? predictor_->OutputNames() : std::vector<std::string>{};
}
std::map<std::string, std::vector<int64_t>> Predictor::GetInputTensorShape() {
  return Usable(predictor_, "GetInputTensorShape") ? Shapes(predictor_->InputInfos())
                                                    : std::map<std::string, std::vector<int64_t>>{};
}
std::map<std::string, std::vector<int64_t>> Predictor::GetOutputTensorShape() {
  return Usable(predictor_, "GetOutputTensorShape") ? Shapes(predictor_->OutputInfos())
                                                     : std::map<std::string, std::vector<int64_t>>{};
}
std::map<std::string, DataType> Predictor::GetInputTypes() {
  return Usable(predictor_, "GetInputTypes") ? Types(predictor_->InputInfos()) : std::map<std::string, DataType>{};
}
std::map<std::string, DataType> Predictor::GetOutputTypes() {
  return Usable(predictor_, "GetOutputTypes") ? Types(predictor_->OutputInfos()) : std::map<std::string, DataType>{};
}

std::unique_ptr<Tensor> Predictor::GetInputHandle(const std::string& name) {
  int i = predictor_ ? IndexOf(predictor_->InputNames(), name) : -1;
  if (predictor_ && i < 0) LOG(ERROR) << "paddle_like: GetInputHandle: the model has no input '" << name << "'";
  return std::unique_ptr<Tensor>(new Tensor(predictor_, i, true, name));
}

std::unique_ptr<Tensor> Predictor::GetOutputHandle(const std::string& name) {
  int i = predictor_ ? IndexOf(predictor_->OutputNames(), name) : -1;
  if (predictor_ && i < 0) LOG(ERROR) << "paddle_like: GetOutputHandle: the model has no output '" << name << "'";
  return std::unique_ptr<Tensor>(new Tensor(predictor_, i, false, name));
}

bool Predictor::Run() {
  if (!Usable(predictor_, "Run")) return false;
  pl::Status s = predictor_->Run();
  if (!s.ok()) {
    LOG(ERROR) << "paddle_like: Run failed: " << s.ToString();
    return false;
  }
  if (profile_) {
    for (const auto& t : predictor_->LastProfile())
      LOG(INFO) << "paddle_like profile: " << t.op << " '" << t.node << "' [" << t.backend << "] " << t.ms << " ms";
  }
  return true;
}

std::unique_ptr<Predictor> Predictor::Clone(void* stream) {
  (void)stream;  // each native predictor owns its stream
  if (!Usable(predictor_, "Clone")) return nullptr;
  auto c = predictor_->Clone();
  if (!c.ok()) {
    LOG(ERROR) << "paddle_like: Clone failed: " << c.status().ToString();
    return nullptr;
  }
  std::unique_ptr<Predictor> out(new Predictor(nullptr, Borrowed{}));
  out->owned_ = std::move(c).value();
  out->predictor_ = out->owned_.get();
  out->profile_ = profile_;
  if (profile_) out->predictor_->EnableProfiling(true);
  return out;
}

void Predictor::ClearIntermediateTensor() {
  if (Usable(predictor_, "ClearIntermediateTensor")) predictor_->ShrinkMemory();
}

uint64_t Predictor::TryShrinkMemory() {
  if (!Usable(predictor_, "TryShrinkMemory")) return 0;
  const size_t before = predictor_->Memory().private_bytes;
  predictor_->ShrinkMemory();
  const size_t after = predictor_->Memory().private_bytes;
  return before > after ? before - after : 0;
}

namespace services {

PredictorPool::PredictorPool(const Config& config, size_t size) {
  pl::services::PoolOptions options;
  options.log = [](const std::string& line) { LOG(WARNING) << "paddle_like: " << line; };
  pool_ = std::make_unique<pl::services::PredictorPool>(config.native(), static_cast<int>(size), std::move(options));
  if (!pool_->status().ok()) {
    LOG(ERROR) << "paddle_like: cannot create PredictorPool: " << pool_->status().ToString();
    return;
  }
  // Paddle's pool hands slots out by index only, so every slot is pinned up front.
  for (int i = 0; i < pool_->size(); ++i) {
    auto p = pool_->Retrieve(i);
    preds_.emplace_back(new Predictor(p.ok() ? *p : nullptr, Predictor::Borrowed{}));
  }
}

PredictorPool::~PredictorPool() = default;

Predictor* PredictorPool::Retrive(size_t idx) {
  if (idx >= preds_.size()) {
    LOG(ERROR) << "paddle_like: PredictorPool::Retrive(" << idx << "): index out of range [0, " << preds_.size()
               << ")";
    return nullptr;
  }
  return preds_[idx].get();
}

}  // namespace services
}  // namespace paddle_infer
