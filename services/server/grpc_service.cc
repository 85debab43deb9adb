#include "services/server/grpc_service.h"

#include <grpcpp/grpcpp.h>

#include <cstring>

#include "grpc_predict_v2.grpc.pb.h"
#include "services/server/infer_core.h"

namespace pl::server {
namespace {

using services::Clock;

grpc::StatusCode GrpcCodeOf(const Status& s) {
  switch (s.code()) {
    case StatusCode::kInvalidArgument: return grpc::StatusCode::INVALID_ARGUMENT;
    case StatusCode::kNotFound: return grpc::StatusCode::NOT_FOUND;
    case StatusCode::kResourceExhausted: return grpc::StatusCode::RESOURCE_EXHAUSTED;
    case StatusCode::kUnavailable:
    case StatusCode::kCancelled: return grpc::StatusCode::UNAVAILABLE;
    case StatusCode::kDeadlineExceeded: return grpc::StatusCode::DEADLINE_EXCEEDED;
    case StatusCode::kUnimplemented: return grpc::StatusCode::UNIMPLEMENTED;
    default: return grpc::StatusCode::INTERNAL;
  }
}

grpc::Status Bad(const std::string& msg) { return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, msg); }

// Typed contents -> tensor elements. `count` gets the number of values the request carried.
template <typename T, typename Field>
void CopyTyped(const Field& f, Tensor* t, int64_t* count) {
  *count = f.size();
  if (*count != t->NumElements()) return;
  T* out = static_cast<T*>(t->RawMutableData());
  for (int i = 0; i < f.size(); ++i) out[i] = static_cast<T>(f.Get(i));
}

// Fills `t` from the InferTensorContents field that its datatype reads, as the protocol assigns
// them (INT8/16/32 -> int_contents, UINT8/16/32 -> uint_contents, ...).
Status FillFromContents(const inference::InferTensorContents& c, Tensor* t, const std::string& name) {
  int64_t n = -1;
  switch (t->dtype()) {
    case DataType::kBool: CopyTyped<bool>(c.bool_contents(), t, &n); break;
    case DataType::kInt8: CopyTyped<int8_t>(c.int_contents(), t, &n); break;
    case DataType::kInt16: CopyTyped<int16_t>(c.int_contents(), t, &n); break;
    case DataType::kInt32: CopyTyped<int32_t>(c.int_contents(), t, &n); break;
    case DataType::kInt64: CopyTyped<int64_t>(c.int64_contents(), t, &n); break;
    case DataType::kUint8: CopyTyped<uint8_t>(c.uint_contents(), t, &n); break;
    case DataType::kUint16: CopyTyped<uint16_t>(c.uint_contents(), t, &n); break;
    case DataType::kUint32: CopyTyped<uint32_t>(c.uint_contents(), t, &n); break;
    case DataType::kUint64: CopyTyped<uint64_t>(c.uint64_contents(), t, &n); break;
    case DataType::kFloat32: CopyTyped<float>(c.fp32_contents(), t, &n); break;
    case DataType::kFloat64: CopyTyped<double>(c.fp64_contents(), t, &n); break;
    case DataType::kString:  // BYTES: one bytes_contents entry per element
      n = c.bytes_contents_size();
      if (n == t->NumElements())
        for (int i = 0; i < c.bytes_contents_size(); ++i) t->MutableData<std::string>()[i] = c.bytes_contents(i);
      break;
    default:
      return Status::InvalidArgument("input '" + name + "': datatype " + KServeDatatype(t->dtype()) +
                                     " has no typed contents field; send raw_input_contents");
  }
  if (n != t->NumElements())
    return Status::InvalidArgument("input '" + name + "': contents hold " + std::to_string(n) + " values, shape " +
                                   ShapeToString(t->shape()) + " needs " + std::to_string(t->NumElements()));
  return Status::Ok();
}

template <typename T, typename Field>
void AppendTyped(const Tensor& t, Field* f) {
  const T* v = static_cast<const T*>(t.RawData());
  int64_t n = t.NumElements();
  f->Reserve(static_cast<int>(n));
  for (int64_t i = 0; i < n; ++i) f->Add(v[i]);
}

void ToContents(const Tensor& t, inference::InferTensorContents* c) {
  switch (t.dtype()) {
    case DataType::kBool: AppendTyped<bool>(t, c->mutable_bool_contents()); break;
    case DataType::kInt8: AppendTyped<int8_t>(t, c->mutable_int_contents()); break;
    case DataType::kInt16: AppendTyped<int16_t>(t, c->mutable_int_contents()); break;
    case DataType::kInt32: AppendTyped<int32_t>(t, c->mutable_int_contents()); break;
    case DataType::kInt64: AppendTyped<int64_t>(t, c->mutable_int64_contents()); break;
    case DataType::kUint8: AppendTyped<uint8_t>(t, c->mutable_uint_contents()); break;
    case DataType::kUint16: AppendTyped<uint16_t>(t, c->mutable_uint_contents()); break;
    case DataType::kUint32: AppendTyped<uint32_t>(t, c->mutable_uint_contents()); break;
    case DataType::kUint64: AppendTyped<uint64_t>(t, c->mutable_uint64_contents()); break;
    case DataType::kFloat32: AppendTyped<float>(t, c->mutable_fp32_contents()); break;
    case DataType::kFloat64: AppendTyped<double>(t, c->mutable_fp64_contents()); break;
    case DataType::kString: {
      auto* f = c->mutable_bytes_contents();
      f->Reserve(static_cast<int>(t.NumElements()));
      for (int64_t i = 0; i < t.NumElements(); ++i) f->Add()->assign(t.Data<std::string>()[i]);
      break;
    }
    default: break;
  }
}

bool HasTypedContents(const inference::InferTensorContents& c) {
  return c.bool_contents_size() || c.int_contents_size() || c.int64_contents_size() || c.uint_contents_size() ||
         c.uint64_contents_size() || c.fp32_contents_size() || c.fp64_contents_size() || c.bytes_contents_size();
}

// A bool parameter, false when absent or of another kind.
bool BoolParam(const google::protobuf::Map<std::string, inference::InferParameter>& params, const char* key) {
  auto it = params.find(key);
  return it != params.end() && it->second.parameter_choice_case() == inference::InferParameter::kBoolParam &&
         it->second.bool_param();
}

// ModelInfer on gRPC's callback API, the rest synchronous: an inference holds no thread while it
// waits in the pool's queue or runs (the pool's completion callback finishes the RPC), so 16 or
// 1000 concurrent calls cost no more threads, wake-ups or context switches than one.
class Service final : public inference::GRPCInferenceService::WithCallbackMethod_ModelInfer<
                          inference::GRPCInferenceService::Service> {
 public:
  explicit Service(ServerState* state) : state_(state) {}

  grpc::Status ServerLive(grpc::ServerContext*, const inference::ServerLiveRequest*,
                          inference::ServerLiveResponse* r) override {
    r->set_live(true);
    return grpc::Status::OK;
  }
  grpc::Status ServerReady(grpc::ServerContext*, const inference::ServerReadyRequest*,
                           inference::ServerReadyResponse* r) override {
    r->set_ready(!state_->draining && state_->repo->AllReady());
    return grpc::Status::OK;
  }
  grpc::Status ModelReady(grpc::ServerContext*, const inference::ModelReadyRequest* q,
                          inference::ModelReadyResponse* r) override {
    Model* m = state_->repo->Find(q->name(), q->version());
    if (!m) return UnknownModel(q->name(), q->version());
    r->set_ready(m->ready() && !state_->draining);
    return grpc::Status::OK;
  }
  grpc::Status ServerMetadata(grpc::ServerContext*, const inference::ServerMetadataRequest*,
                              inference::ServerMetadataResponse* r) override {
    r->set_name("pl_server");
    r->set_version(Version());
    r->add_extensions("binary_tensor_data");
    r->add_extensions("model_repository");
    return grpc::Status::OK;
  }
  grpc::Status ModelMetadata(grpc::ServerContext*, const inference::ModelMetadataRequest* q,
                             inference::ModelMetadataResponse* r) override {
    Model* m = state_->repo->Find(q->name(), q->version());
    if (!m) return UnknownModel(q->name(), q->version());
    if (!m->ready())
      return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                          "model '" + m->name + "' is not ready: " + m->load_status.ToString());
    r->set_name(m->name);
    r->add_versions(m->version);
    r->set_platform("onnx");
    for (int io = 0; io < 2; ++io)
      for (const auto& v : io == 0 ? m->inputs : m->outputs) {
        auto* t = io == 0 ? r->add_inputs() : r->add_outputs();
        t->set_name(v.name);
        t->set_datatype(KServeDatatype(v.dtype));
        for (int64_t d : v.shape) t->add_shape(d);
      }
    return grpc::Status::OK;
  }

  grpc::ServerUnaryReactor* ModelInfer(grpc::CallbackServerContext* ctx, const inference::ModelInferRequest* q,
                                       inference::ModelInferResponse* r) override {
    auto received = Clock::now();
    grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
    // Counted before `draining` is read, released once the reply is handed to gRPC: main()'s
    // drain waits for every request that got past the check (as the REST sessions do).
    ++state_->in_flight;
    ServerState* state = state_;
    auto finish = [reactor, state](const grpc::Status& st) {
      reactor->Finish(st);
      --state->in_flight;
    };
    if (state_->draining) return finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, "server is shutting down")), reactor;
    Model* m = state_->repo->Find(q->model_name(), q->model_version());
    if (!m) return finish(UnknownModel(q->model_name(), q->model_version())), reactor;
    if (!m->ready())
      return finish(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                 "model '" + m->name + "' is not ready: " + m->load_status.ToString())),
             reactor;
    Parsed p;
    grpc::Status st = Parse(ctx, *m, *q, &p);
    if (!st.ok()) {
      m->metrics.Fail("bad_request");  // SubmitInference counts the rest
      return finish(st), reactor;
    }
    std::vector<int> wanted = std::move(p.wanted);
    const bool raw_out = p.raw_out;
    SubmitInference(*m, std::move(p.tensors), p.timeout_us, received,
                    [m, q, r, wanted = std::move(wanted), raw_out, finish](services::OutputsOr result) {
                      if (!result.ok()) return finish(grpc::Status(GrpcCodeOf(result.status()), result.status().ToString()));
                      Respond(*m, *q, *result, wanted, raw_out, r);
                      finish(grpc::Status::OK);
                    });
    return reactor;
  }

 private:
  static grpc::Status UnknownModel(const std::string& name, const std::string& version) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND,
                        "unknown model '" + name + "'" + (version.empty() ? "" : " version '" + version + "'"));
  }

  struct Parsed {
    std::vector<Tensor> tensors;
    std::vector<int> wanted;  // output indices to return
    int64_t timeout_us = 0;
    bool raw_out = false;
  };

  // Request -> tensors, the outputs asked for and the deadline; INVALID_ARGUMENT naming what is wrong.
  static grpc::Status Parse(grpc::ServerContextBase* ctx, const Model& m, const inference::ModelInferRequest& q,
                            Parsed* p) {
    std::vector<Tensor>& tensors = p->tensors;
    std::vector<int>& wanted = p->wanted;
    int64_t& timeout_us = p->timeout_us;
    const bool raw = q.raw_input_contents_size() > 0;
    if (raw && q.raw_input_contents_size() != q.inputs_size())
      return Bad("raw_input_contents has " + std::to_string(q.raw_input_contents_size()) + " entries for " +
                 std::to_string(q.inputs_size()) + " inputs: give one per input, or none");
    tensors.reserve(static_cast<size_t>(q.inputs_size()));
    for (int i = 0; i < q.inputs_size(); ++i) {
      const auto& in = q.inputs(i);
      DataType dt = FromKServeDatatype(in.datatype());
      if (dt == DataType::kUndefined) return Bad("input '" + in.name() + "': unknown datatype '" + in.datatype() + "'");
      Shape shape;
      for (int64_t d : in.shape()) {
        if (d < 0) return Bad("input '" + in.name() + "': shape must be non-negative integers");
        shape.push_back(d);
      }
      // Every element takes at least one byte of the message (raw or typed): a shape with more
      // elements than that is refused before anything is allocated from it.
      const int64_t elements = ShapeNumElements(shape);
      if (elements < 0 || static_cast<uint64_t>(elements) > q.ByteSizeLong())
        return Bad("input '" + in.name() + "': shape " + ShapeToString(shape) + " has more elements than the " +
                   std::to_string(q.ByteSizeLong()) + "-byte request can carry");
      const bool strings = dt == DataType::kString;
      // Serialized BYTES take 4 bytes an element at least: checked before they are allocated.
      if (raw && strings && static_cast<uint64_t>(elements) > q.raw_input_contents(i).size() / 4)
        return Bad("input '" + in.name() + "': raw_input_contents holds " + std::to_string(q.raw_input_contents(i).size()) +
                   " bytes, too few for the " + std::to_string(elements) + " BYTES elements of shape " +
                   ShapeToString(shape) + " (4-byte length each)");
      if (!raw && strings && in.contents().bytes_contents_size() != elements)  // checked before allocating
        return Bad("input '" + in.name() + "': contents hold " + std::to_string(in.contents().bytes_contents_size()) +
                   " values, shape " + ShapeToString(shape) + " needs " + std::to_string(elements));
      auto t = Tensor::Create(dt, shape, in.name());
      if (!t.ok()) return Bad("input '" + in.name() + "': " + t.status().message());
      if (raw) {
        if (HasTypedContents(in.contents()))
          return Bad("input '" + in.name() + "': both typed contents and raw_input_contents given");
        const std::string& bytes = q.raw_input_contents(i);
        if (strings) {
          Status s = ParseSerializedBytes(bytes.data(), bytes.size(), &*t, in.name());
          if (!s.ok()) return Bad(s.message());
          tensors.push_back(std::move(*t));
          continue;
        }
        size_t nbytes = static_cast<size_t>(t->NumElements()) * DataTypeSize(dt);
        if (bytes.size() != nbytes)
          return Bad("input '" + in.name() + "': raw_input_contents holds " + std::to_string(bytes.size()) +
                     " bytes, " + in.datatype() + " " + ShapeToString(shape) + " needs " + std::to_string(nbytes));
        if (nbytes) std::memcpy(t->RawMutableData(), bytes.data(), nbytes);
      } else {
        Status s = FillFromContents(in.contents(), &*t, in.name());
        if (!s.ok()) return Bad(s.message());
      }
      tensors.push_back(std::move(*t));
    }
    for (const auto& o : q.outputs()) {
      int idx = OutputIndex(m, o.name());
      if (idx < 0) return Bad("model '" + m.name + "' has no output '" + o.name() + "'");
      wanted.push_back(idx);
    }
    if (wanted.empty())
      for (size_t i = 0; i < m.outputs.size(); ++i) wanted.push_back(static_cast<int>(i));

    // Deadline: the request's "timeout" parameter (microseconds) or the gRPC deadline, whichever
    // comes first.
    auto tp = q.parameters().find("timeout");
    if (tp != q.parameters().end()) {
      if (tp->second.parameter_choice_case() != inference::InferParameter::kInt64Param || tp->second.int64_param() < 0)
        return Bad("parameter 'timeout' must be an int64 of microseconds >= 0");
      timeout_us = tp->second.int64_param();
    }
    auto grpc_deadline = ctx->deadline();
    if (grpc_deadline != std::chrono::system_clock::time_point::max()) {
      auto left = std::chrono::duration_cast<std::chrono::microseconds>(grpc_deadline - std::chrono::system_clock::now()).count();
      left = std::max<int64_t>(left, 1);
      if (timeout_us == 0 || left < timeout_us) timeout_us = left;
    }

    // Outputs come back the way the inputs came: raw_output_contents for raw requests (what
    // Triton's and KServe's clients send), typed contents otherwise; the request parameter
    // "binary_data_output" (bool) asks for raw outputs either way.
    p->raw_out = raw || BoolParam(q.parameters(), "binary_data_output");
    return grpc::Status::OK;
  }

  static void Respond(const Model& m, const inference::ModelInferRequest& q, const std::vector<Tensor>& result,
                      const std::vector<int>& wanted, bool raw_out, inference::ModelInferResponse* r) {
    r->set_model_name(m.name);
    r->set_model_version(m.version);
    r->set_id(q.id());
    for (int idx : wanted) {
      const Tensor& t = result[static_cast<size_t>(idx)];
      auto* o = r->add_outputs();
      o->set_name(m.outputs[static_cast<size_t>(idx)].name);
      o->set_datatype(KServeDatatype(t.dtype()));
      for (int64_t d : t.shape()) o->add_shape(d);
      if (raw_out && t.dtype() == DataType::kString)
        AppendSerializedBytes(t, r->add_raw_output_contents());
      else if (raw_out)
        r->add_raw_output_contents(static_cast<const char*>(t.RawData()),
                                   static_cast<size_t>(t.NumElements()) * DataTypeSize(t.dtype()));
      else
        ToContents(t, o->mutable_contents());
    }
  }

  ServerState* state_;
};

}  // namespace

struct GrpcServer::Impl {
  std::unique_ptr<Service> service;
  std::unique_ptr<grpc::Server> server;
};

StatusOr<std::unique_ptr<GrpcServer>> GrpcServer::Start(ServerState* state, int port, int64_t max_message_bytes) {
  auto g = std::unique_ptr<GrpcServer>(new GrpcServer());
  g->impl_ = std::make_unique<Impl>();
  g->impl_->service = std::make_unique<Service>(state);
  grpc::ServerBuilder b;
  int bound = 0;
  // No SO_REUSEPORT: a second server started on a port in use must fail to bind, not silently
  // take half of the first one's new connections.
  b.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  b.AddListeningPort("0.0.0.0:" + std::to_string(port), grpc::InsecureServerCredentials(), &bound);
  b.RegisterService(g->impl_->service.get());
  int limit = static_cast<int>(std::min<int64_t>(max_message_bytes, INT32_MAX));
  b.SetMaxReceiveMessageSize(limit);
  b.SetMaxSendMessageSize(limit);
  // The handlers block on the pool for the whole inference; with gRPC's default of at most 2
  // pollers, each finished handler thread exits and a new one is created for the next call. Keep
  // enough pollers for the concurrent calls we expect, on one completion queue (the pool, not
  // gRPC, is where the parallelism lives).
  // A 1x3x48x192 float tensor is 110 KB, above HTTP/2's 64 KB initial stream window: without a
  // larger window each request waits a round trip for WINDOW_UPDATE before its last bytes move.
  b.AddChannelArgument(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, 8 << 20);
  b.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::NUM_CQS, 1);
  b.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MIN_POLLERS, 1);
  b.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MAX_POLLERS, 256);
  g->impl_->server = b.BuildAndStart();
  if (!g->impl_->server || bound == 0)
    return Status::Unavailable("gRPC port " + std::to_string(port) + ": could not bind");
  g->port_ = bound;
  return g;
}

GrpcServer::~GrpcServer() {
  if (impl_ && impl_->server) impl_->server->Shutdown(std::chrono::system_clock::now());
}

void GrpcServer::Shutdown(std::chrono::steady_clock::time_point deadline) {
  if (!impl_ || !impl_->server) return;
  auto left = deadline - std::chrono::steady_clock::now();
  impl_->server->Shutdown(std::chrono::system_clock::now() +
                          std::chrono::duration_cast<std::chrono::system_clock::duration>(left));
}

}  // namespace pl::server
