// pl_demo: how throughput and latency scale with threads, one predictor (clone) per thread.
//
//   pl_demo                                  # built-in MobileNetV1, threads 1..2x CPUs
//   pl_demo --model m.onnx --shape x:1,3,640,640 --batch_size 1 --loop_times 50 --max_threads 4
//
// Prints a table (QPS, speedup, efficiency, p50/p99 latency per thread count), writes
// scaling.csv and scaling.png (gnuplot) to --out_dir, and the pool's memory report: what the
// shared model costs once and what each extra predictor adds.
#include <gflags/gflags.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "demo/mobilenet_model.h"
#include "demo/scaling.h"
#include "pl/pl.h"
#include "services/predictor_pool.h"

DEFINE_string(model, "", "ONNX model to run; empty = the built-in MobileNetV1 (written to --out_dir)");
DEFINE_string(shape, "",
              "input shapes for dynamic dims: '1,3,640,640' or '1x3x640x640' (first input), or by name: 'x:1,3,640,640;y:1,16'");
DEFINE_int32(batch_size, 1, "dim 0 of every input whose dim 0 is dynamic");
DEFINE_int32(loop_times, 0, "runs per thread at each thread count; 0 = about --seconds_per_point each");
DEFINE_double(seconds_per_point, 2.0, "target duration of one thread count when --loop_times is 0");
DEFINE_int32(max_threads, 0, "largest thread count; 0 = twice the usable CPUs");
DEFINE_string(threads, "", "explicit thread counts, e.g. '1,2,4,8' (overrides --max_threads)");
DEFINE_int32(intra_op_threads, 1, "threads inside one Run() (per predictor)");
DEFINE_int32(warmup, 2, "untimed runs per predictor before measuring");
DEFINE_string(backends, "", "backend priority, e.g. 'onednn,cpu_ref' (empty = default)");
DEFINE_string(out_dir, "pl_demo_out", "where scaling.csv, scaling.png and the built-in model go");
DEFINE_bool(chart, true, "render scaling.png with gnuplot");

namespace pl::demo {
namespace {

int Fail(const std::string& what) {
  std::fprintf(stderr, "pl_demo: error: %s\n", what.c_str());
  return 1;
}

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, sep))
    if (!item.empty()) out.push_back(item);
  return out;
}

// "1,3,224,224" or "1x3x224x224".
StatusOr<Shape> ParseDims(std::string text) {
  std::replace(text.begin(), text.end(), 'x', ',');
  Shape dims;
  for (const std::string& d : Split(text, ',')) {
    char* end = nullptr;
    long long v = std::strtoll(d.c_str(), &end, 10);
    if (end == d.c_str() || *end != '\0' || v < 0) return Status::InvalidArgument("bad dim '" + d + "' in --shape");
    dims.push_back(v);
  }
  if (dims.empty()) return Status::InvalidArgument("empty shape in --shape");
  return dims;
}

// Concrete shape per model input from the model, --shape and --batch_size.
StatusOr<std::vector<Shape>> ResolveShapes(const std::vector<ValueInfo>& infos, bool batch_explicit) {
  std::vector<Shape> given(infos.size());
  std::vector<std::string> items = Split(FLAGS_shape, ';');
  for (size_t k = 0; k < items.size(); ++k) {
    size_t colon = items[k].find(':');
    size_t slot = k;
    std::string dims = items[k];
    if (colon != std::string::npos) {
      const std::string name = items[k].substr(0, colon);
      dims = items[k].substr(colon + 1);
      slot = infos.size();
      for (size_t i = 0; i < infos.size(); ++i)
        if (infos[i].name == name) slot = i;
      if (slot == infos.size()) return Status::NotFound("--shape names '" + name + "', which is not a model input");
    }
    if (slot >= infos.size()) return Status::InvalidArgument("--shape lists more shapes than the model has inputs");
    PL_ASSIGN_OR_RETURN(given[slot], ParseDims(dims));
  }
  std::vector<Shape> shapes;
  for (size_t i = 0; i < infos.size(); ++i) {
    const ValueInfo& vi = infos[i];
    Shape s = !given[i].empty() ? given[i] : vi.shape;
    if (s.empty() && !vi.has_shape)
      return Status::InvalidArgument("input '" + vi.name + "' has no shape in the model: pass --shape " + vi.name +
                                     ":d0,d1,...");
    if (vi.has_shape && s.size() != vi.shape.size())
      return Status::InvalidArgument("--shape for '" + vi.name + "' has rank " + std::to_string(s.size()) +
                                     ", the model's is " + std::to_string(vi.shape.size()));
    const bool dyn0 = !vi.has_shape || (!vi.shape.empty() && vi.shape[0] < 0);
    if (!s.empty() && dyn0 && (batch_explicit || s[0] < 0)) s[0] = FLAGS_batch_size;
    if (!s.empty() && !dyn0 && batch_explicit && s[0] != FLAGS_batch_size)
      return Status::InvalidArgument("input '" + vi.name + "' fixes dim 0 to " + std::to_string(s[0]) +
                                     "; --batch_size " + std::to_string(FLAGS_batch_size) + " cannot apply");
    for (size_t d = 0; d < s.size(); ++d) {
      if (vi.has_shape && vi.shape[d] >= 0 && s[d] != vi.shape[d])
        return Status::InvalidArgument("--shape for '" + vi.name + "': dim " + std::to_string(d) + " is fixed to " +
                                       std::to_string(vi.shape[d]) + " by the model");
      if (s[d] < 0) {
        const std::string sym = d < vi.dim_names.size() && !vi.dim_names[d].empty() ? " ('" + vi.dim_names[d] + "')" : "";
        return Status::InvalidArgument("input '" + vi.name + "' dim " + std::to_string(d) + sym +
                                       " is dynamic: pass --shape " + vi.name + ":" + "d0,d1,...");
      }
    }
    shapes.push_back(s);
  }
  return shapes;
}

// Deterministic data: images in [0,1), integer inputs 0 (a valid index for any table).
StatusOr<Tensor> MakeInput(const ValueInfo& vi, const Shape& shape, uint32_t seed) {
  DataType dt = vi.dtype == DataType::kUndefined ? DataType::kFloat32 : vi.dtype;
  PL_ASSIGN_OR_RETURN(Tensor t, Tensor::Create(dt, shape, vi.name));
  std::memset(t.RawMutableData(), 0, t.ByteSize());
  std::mt19937 rng(seed);
  if (dt == DataType::kFloat32) {
    std::uniform_real_distribution<float> u(0.f, 1.f);
    float* p = t.MutableData<float>();
    for (int64_t i = 0; i < t.NumElements(); ++i) p[i] = u(rng);
  } else if (dt == DataType::kUint8) {
    uint8_t* p = t.MutableData<uint8_t>();
    for (int64_t i = 0; i < t.NumElements(); ++i) p[i] = static_cast<uint8_t>(rng() & 255);
  }
  return t;
}

std::vector<int> ThreadCounts(int usable) {
  std::vector<int> counts;
  if (!FLAGS_threads.empty()) {
    for (const std::string& s : Split(FLAGS_threads, ',')) {
      int n = std::atoi(s.c_str());
      if (n > 0) counts.push_back(n);
    }
  } else {
    const int max_t = FLAGS_max_threads > 0 ? FLAGS_max_threads : 2 * usable;
    if (max_t <= 12) {
      for (int t = 1; t <= max_t; ++t) counts.push_back(t);
    } else {
      // Large machines: a geometric sweep plus the CPU count keeps the default run short.
      for (int t : {1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256})
        if (t <= max_t) counts.push_back(t);
      counts.push_back(usable);
      counts.push_back(max_t);
    }
  }
  std::sort(counts.begin(), counts.end());
  counts.erase(std::unique(counts.begin(), counts.end()), counts.end());
  return counts;
}

bool MakeDirs(const std::string& dir) {
  std::string cur;
  for (const std::string& part : Split(dir, '/')) {
    cur += (cur.empty() && dir[0] != '/' ? "" : "/") + part;
    mkdir(cur.c_str(), 0755);
  }
  struct stat st;
  return stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

int Main() {
  const services::CpuBudget budget = services::DetectCpuBudget();
  const int usable = budget.usable_cpus;
  std::vector<int> counts = ThreadCounts(usable);
  if (counts.empty()) return Fail("no thread counts to run (see --threads / --max_threads)");
  const int pool_size = counts.back();
  if (!MakeDirs(FLAGS_out_dir)) return Fail("cannot create --out_dir " + FLAGS_out_dir);

  std::string model_path = FLAGS_model, model_label;
  const bool builtin = model_path.empty();
  if (builtin) {
    const auto t0 = std::chrono::steady_clock::now();
    const std::string bytes = BuildMobileNetV1();
    model_path = FLAGS_out_dir + "/mobilenet_v1_demo.onnx";
    std::ofstream f(model_path, std::ios::binary);
    f << bytes;
    f.close();
    if (!f) return Fail("cannot write " + model_path);
    std::printf("model: built-in MobileNetV1 (224x224, deterministic weights), %.1f MB, built in %.2f s -> %s\n",
                bytes.size() / 1e6,
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), model_path.c_str());
    model_label = "MobileNetV1 (built-in)";
  } else {
    std::printf("model: %s\n", model_path.c_str());
    model_label = model_path.substr(model_path.rfind('/') == std::string::npos ? 0 : model_path.rfind('/') + 1);
  }

  Config config(model_path);
  config.SetIntraOpThreads(FLAGS_intra_op_threads);
  if (!FLAGS_backends.empty()) config.SetBackends(Split(FLAGS_backends, ','));
  services::PoolOptions options;
  // The sweep deliberately goes past the CPU count to show where scaling stops.
  options.cpu_policy = services::CpuPolicy::kAllowOversubscription;
  options.log = [](const std::string&) {};
  const auto t_load = std::chrono::steady_clock::now();
  auto pool_or = services::PredictorPool::Create(config, pool_size, options);
  if (!pool_or.ok()) return Fail(pool_or.status().ToString());
  services::PredictorPool& pool = **pool_or;
  std::printf("loaded and compiled in %.2f s; pool of %d predictors (1 + %d clones)\n",
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t_load).count(), pool_size,
              pool_size - 1);
  std::printf("CPU: %s; intra-op threads per predictor: %d\n", budget.ToString().c_str(), FLAGS_intra_op_threads);

  // Inputs: one private copy per predictor, bound once (zero-copy), so the loop times Run() only.
  Predictor* first = pool.Retrieve(0).value();
  const std::vector<ValueInfo> infos = first->InputInfos();
  auto shapes = ResolveShapes(infos, !gflags::GetCommandLineFlagInfoOrDie("batch_size").is_default);
  if (!shapes.ok()) return Fail(shapes.status().message());
  for (size_t i = 0; i < infos.size(); ++i)
    std::printf("input: %s %s %s\n", infos[i].name.c_str(), ShapeToString((*shapes)[i]).c_str(),
                DataTypeName(infos[i].dtype == DataType::kUndefined ? DataType::kFloat32 : infos[i].dtype));
  std::vector<std::vector<Tensor>> data(pool_size);
  for (int s = 0; s < pool_size; ++s) {
    Predictor* p = pool.Retrieve(s).value();
    for (size_t i = 0; i < infos.size(); ++i) {
      auto t = MakeInput(infos[i], (*shapes)[i], 1234 + static_cast<uint32_t>(i));
      if (!t.ok()) return Fail(t.status().ToString());
      data[s].push_back(std::move(t).value());
      Tensor& in = data[s].back();
      Status st = p->Input(static_cast<int>(i)).value()->ShareExternalData(in.RawMutableData(), in.dtype(), in.shape());
      if (!st.ok()) return Fail(st.ToString());
    }
  }

  // Warm-up: slot 0 alone (its timing sizes the loop), then the others side by side.
  std::vector<double> warm_ms;
  for (int k = 0; k < std::max(1, FLAGS_warmup); ++k) {
    const auto t0 = std::chrono::steady_clock::now();
    Status st = first->Run();
    if (!st.ok()) return Fail(st.ToString());
    warm_ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  if (builtin) {
    const Tensor* prob = first->Output(0).value();
    double sum = 0;
    for (int64_t i = 0; i < prob->NumElements() / std::max<int64_t>(1, prob->dim(0)); ++i) sum += prob->Data<float>()[i];
    std::printf("output: %s %s, softmax row sums to %.4f\n", first->OutputNames()[0].c_str(),
                ShapeToString(prob->shape()).c_str(), sum);
  }
  {
    std::vector<std::thread> warm;
    std::vector<Status> errs(pool_size);
    for (int s = 1; s < pool_size; ++s)
      warm.emplace_back([&, s] {
        for (int k = 0; k < FLAGS_warmup && errs[s].ok(); ++k) errs[s] = pool.Retrieve(s).value()->Run();
      });
    for (auto& w : warm) w.join();
    for (const Status& e : errs)
      if (!e.ok()) return Fail(e.ToString());
  }
  const double single_ms = *std::min_element(warm_ms.begin(), warm_ms.end());
  RunSettings settings;
  settings.batch_size = FLAGS_batch_size;
  settings.usable_cpus = usable;
  settings.loop_times = FLAGS_loop_times > 0
                            ? FLAGS_loop_times
                            : std::clamp(static_cast<int>(FLAGS_seconds_per_point * 1000 / std::max(0.01, single_ms)), 5, 5000);
  std::printf("runs per thread: %d%s; one run takes ~%.2f ms on one thread\n\n", settings.loop_times,
              FLAGS_loop_times > 0 ? "" : " (auto, ~--seconds_per_point per thread count on one thread)", single_ms);

  std::vector<ScalingPoint> points;
  for (size_t c = 0; c < counts.size(); ++c) {
    const int t = counts[c];
    char label[64];
    std::snprintf(label, sizeof(label), "[%zu/%zu] %d thread%s", c + 1, counts.size(), t, t == 1 ? "" : "s");
    auto p = MeasurePoint(pool, t, settings, label);
    if (!p.ok()) return Fail(p.status().ToString());
    std::fprintf(stderr, "  %s: %.1f QPS, p50 %.2f ms, p99 %.2f ms (%.1f s)\n", label, p->qps, p->p50_ms, p->p99_ms,
                 p->wall_s);
    points.push_back(*p);
  }
  ComputeScaling(&points, usable);

  std::printf("\n%s, batch %d, intra-op threads %d, %d usable CPUs\n", model_label.c_str(), FLAGS_batch_size,
              FLAGS_intra_op_threads, usable);
  std::printf("%s\n", FormatTable(points, usable).c_str());
  const std::string csv = FLAGS_out_dir + "/scaling.csv";
  Status w = WriteCsv(csv, points);
  if (!w.ok()) return Fail(w.ToString());
  std::printf("csv:   %s\n", csv.c_str());
  if (FLAGS_chart) {
    char title[256];
    std::snprintf(title, sizeof(title), "paddle_like thread scaling: %s, batch %d, %d usable CPUs", model_label.c_str(),
                  FLAGS_batch_size, usable);
    auto png = RenderChart(FLAGS_out_dir, title, points, usable);
    if (png.ok()) std::printf("chart: %s\n", png->c_str());
    else std::printf("chart: not rendered: %s\n", png.status().message().c_str());
  }
  std::printf("\n%s", pool.MemoryReport().ToString().c_str());
  return 0;
}

}  // namespace
}  // namespace pl::demo

int main(int argc, char** argv) {
  gflags::SetUsageMessage(
      "thread-scaling demo: QPS and latency per thread count, one predictor per thread.\n"
      "  pl_demo                      built-in MobileNetV1, threads 1..2x CPUs\n"
      "  pl_demo --model m.onnx --shape x:1,3,640,640 --max_threads 4 --loop_times 50");
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // progress (stderr) and results (stdout) interleave in order
  return pl::demo::Main();
}
