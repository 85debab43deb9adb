#include "services/server/model_repository.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "rapidjson/document.h"
#include "rapidjson/error/en.h"

namespace pl::server {
namespace {

bool IsDir(const std::string& p) {
  struct stat st;
  return stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}
bool IsFile(const std::string& p) {
  struct stat st;
  return stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}
std::vector<std::string> ListDirs(const std::string& dir) {
  std::vector<std::string> out;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d)) {
      std::string n = e->d_name;
      if (n != "." && n != ".." && IsDir(dir + "/" + n)) out.push_back(n);
    }
    closedir(d);
  }
  std::sort(out.begin(), out.end());
  return out;
}
bool IsNumber(const std::string& s) {
  return !s.empty() && s.size() < 18 && std::all_of(s.begin(), s.end(), ::isdigit);
}

}  // namespace

Status ParseModelConfig(const std::string& json, ModelConfig* out) {
  rapidjson::Document d;
  d.Parse(json.c_str(), json.size());
  if (d.HasParseError())
    return Status::InvalidArgument(std::string("config.json: ") + rapidjson::GetParseError_En(d.GetParseError()) +
                                   " at offset " + std::to_string(d.GetErrorOffset()));
  if (!d.IsObject()) return Status::InvalidArgument("config.json: expected an object");
  auto get_int = [&](const char* key, auto* field, int64_t lo) -> Status {
    auto it = d.FindMember(key);
    if (it == d.MemberEnd()) return Status::Ok();
    if (!it->value.IsInt64() || it->value.GetInt64() < lo)
      return Status::InvalidArgument(std::string("config.json: '") + key + "' must be an integer >= " + std::to_string(lo));
    *field = static_cast<std::remove_pointer_t<decltype(field)>>(it->value.GetInt64());
    return Status::Ok();
  };
  PL_RETURN_IF_ERROR(get_int("pool_size", &out->pool_size, 1));
  PL_RETURN_IF_ERROR(get_int("intra_op_threads", &out->intra_op_threads, 1));
  PL_RETURN_IF_ERROR(get_int("max_batch", &out->max_batch, 0));
  PL_RETURN_IF_ERROR(get_int("max_queue_delay_us", &out->max_queue_delay_us, 0));
  PL_RETURN_IF_ERROR(get_int("queue_capacity", &out->queue_capacity, 0));
  PL_RETURN_IF_ERROR(get_int("default_timeout_us", &out->default_timeout_us, 0));
  auto b = d.FindMember("backends");
  if (b != d.MemberEnd()) {
    if (!b->value.IsArray()) return Status::InvalidArgument("config.json: 'backends' must be an array of strings");
    for (const auto& v : b->value.GetArray()) {
      if (!v.IsString()) return Status::InvalidArgument("config.json: 'backends' must be an array of strings");
      out->backends.push_back(v.GetString());
    }
  }
  auto devs = d.FindMember("device_ids");
  if (devs != d.MemberEnd()) {
    if (!devs->value.IsArray()) return Status::InvalidArgument("config.json: 'device_ids' must be an array of integers >= 0");
    for (const auto& v : devs->value.GetArray()) {
      if (!v.IsInt() || v.GetInt() < 0)
        return Status::InvalidArgument("config.json: 'device_ids' must be an array of integers >= 0");
      out->device_ids.push_back(v.GetInt());
    }
  }
  auto q = d.FindMember("queue_full");
  if (q != d.MemberEnd()) {
    std::string v = q->value.IsString() ? q->value.GetString() : "";
    if (v != "reject" && v != "block") return Status::InvalidArgument("config.json: 'queue_full' must be \"reject\" or \"block\"");
    out->reject_when_full = v == "reject";
  }
  return Status::Ok();
}

StatusOr<std::unique_ptr<ModelRepository>> ModelRepository::Load(const std::string& dir, int usable_cpus,
                                                                  std::function<void(const std::string&)> log) {
  if (!IsDir(dir)) return Status::NotFound("model repository '" + dir + "' is not a directory");
  auto repo = std::make_unique<ModelRepository>();
  std::vector<std::string> names = ListDirs(dir);
  int n_models = 0;
  for (const auto& name : names)
    for (const auto& v : ListDirs(dir + "/" + name)) n_models += IsNumber(v);
  const int cpus_each = usable_cpus > 0 ? std::max(1, usable_cpus / std::max(1, n_models)) : 0;
  for (const auto& name : names) {
    ModelConfig config;
    Status config_status;
    std::string cfg_path = dir + "/" + name + "/config.json";
    if (IsFile(cfg_path)) {
      std::ifstream f(cfg_path);
      std::stringstream ss;
      ss << f.rdbuf();
      config_status = ParseModelConfig(ss.str(), &config);
    }
    std::vector<std::string> versions;
    for (const auto& v : ListDirs(dir + "/" + name))
      if (IsNumber(v)) versions.push_back(v);
    std::sort(versions.begin(), versions.end(), [](const std::string& a, const std::string& b) {
      return std::stoll(a) < std::stoll(b);
    });
    for (const auto& v : versions) {
      auto m = std::make_unique<Model>();
      m->name = name;
      m->version = v;
      m->config = config;
      m->load_status = config_status;
      std::string path = dir + "/" + name + "/" + v + "/model.onnx";
      if (m->load_status.ok() && !IsFile(path)) m->load_status = Status::NotFound("no " + path);
      if (m->load_status.ok()) {
        Config c(path);
        c.SetIntraOpThreads(config.intra_op_threads);
        if (!config.backends.empty()) c.SetBackends(config.backends);
        services::PoolOptions po;
        po.queue_capacity = config.queue_capacity;
        po.queue_full = config.reject_when_full ? services::QueueFullPolicy::kReject : services::QueueFullPolicy::kBlock;
        po.batching.max_batch = config.max_batch;
        po.batching.max_queue_delay = std::chrono::microseconds(config.max_queue_delay_us);
        po.usable_cpus = cpus_each;
        po.device_ids = config.device_ids;
        po.log = [log, name, v](const std::string& line) { log(name + "/" + v + ": " + line); };
        auto pool = services::PredictorPool::Create(c, config.pool_size, po);
        if (!pool.ok()) {
          m->load_status = pool.status();
        } else {
          m->pool = std::move(*pool);
          auto lease = m->pool->Acquire(std::chrono::milliseconds(10000));
          if (!lease.ok()) {
            m->load_status = lease.status();
            m->pool.reset();
          } else {
            m->inputs = (*lease)->InputInfos();
            m->outputs = (*lease)->OutputInfos();
            // The Open Inference Protocol carries tensors only.
            for (const auto* list : {&m->inputs, &m->outputs})
              for (const ValueInfo& vi : *list)
                if ((vi.is_sequence || vi.is_optional) && m->load_status.ok())
                  m->load_status = Status::Unimplemented("'" + vi.name + "' is a sequence or an optional; the KServe v2 "
                                                         "protocol carries tensors only");
          }
        }
      }
      if (!m->load_status.ok()) m->pool.reset();  // after the lease above went back
      log("model " + name + "/" + v + ": " + (m->ready() ? "ready" : "NOT ready: " + m->load_status.ToString()));
      repo->models_.push_back(std::move(m));
    }
  }
  return repo;
}

Model* ModelRepository::Find(const std::string& name, const std::string& version) const {
  Model* found = nullptr;
  for (const auto& m : models_)
    if (m->name == name && (version.empty() || m->version == version)) found = m.get();  // last = highest
  return found;
}

bool ModelRepository::AllReady() const {
  for (const auto& m : models_)
    if (!m->ready()) return false;
  return true;
}

void ModelRepository::DrainAll() {
  for (const auto& m : models_)
    if (m->pool) m->pool->Shutdown(services::ShutdownMode::kDrain);
}

}  // namespace pl::server
