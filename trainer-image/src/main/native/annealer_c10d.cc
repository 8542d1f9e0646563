// The c10d bridge: PyTorch's collectives (c10d::ProcessGroupGloo, c10d::ProcessGroupNCCL, c10d::TCPStore), which the
// libtorch DJL loads already contains, called on the tensors DJL holds. Java side: dev.annealer.trainer.dist.C10dBridge.
//
// A DJL PtNDArray's native handle (PtNDArray.getHandle()) is a pointer to a heap-allocated at::Tensor owned by DJL's
// JNI (ai.djl.pytorch.jni: reinterpret_cast<torch::Tensor*>(jhandle)); this file only reads through it and never frees
// it. Collectives run on one flat buffer per call (the tensors concatenated, like DDP's gradient buckets) and copy the
// result back in place, with autograd off.
//
// Built by hack/c10d-bridge.sh (g++, headers of the matching torch wheel, linked to DJL's libtorch); nothing built is
// committed. The NCCL path is compiled only with -DANNEALER_WITH_NCCL against a CUDA libtorch and the CUDA/NCCL headers:
// written and reviewed, not built or run on the CPU-only machines of this project.
#include <jni.h>

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#ifdef ANNEALER_WITH_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <chrono>
#include <cstdlib>
#include <exception>
#include <string>
#include <vector>

namespace {

struct Group {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::Backend> backend;
  int rank;
  int world;
};

void throwJava(JNIEnv* env, const std::string& message) {
  jclass cls = env->FindClass("java/lang/IllegalStateException");
  if (cls != nullptr) {
    env->ThrowNew(cls, message.c_str());
  }
}

std::string jstring2(JNIEnv* env, jstring s) {
  if (s == nullptr) {
    return std::string();
  }
  const char* chars = env->GetStringUTFChars(s, nullptr);
  std::string out(chars);
  env->ReleaseStringUTFChars(s, chars);
  return out;
}

std::vector<at::Tensor> tensors(JNIEnv* env, jlongArray handles) {
  jsize n = env->GetArrayLength(handles);
  std::vector<jlong> raw(n);
  env->GetLongArrayRegion(handles, 0, n, raw.data());
  std::vector<at::Tensor> out;
  out.reserve(n);
  for (jlong h : raw) {
    out.push_back(*reinterpret_cast<at::Tensor*>(h));  // a new reference to the same TensorImpl (same storage)
  }
  return out;
}

// One contiguous buffer holding every tensor, in order (all of one dtype and device).
at::Tensor flatten(const std::vector<at::Tensor>& ts) {
  std::vector<at::Tensor> flat;
  flat.reserve(ts.size());
  for (const auto& t : ts) {
    flat.push_back(t.reshape({-1}));
  }
  return at::cat(flat);
}

void unflatten(const at::Tensor& flat, std::vector<at::Tensor>& ts) {
  int64_t offset = 0;
  for (auto& t : ts) {
    int64_t n = t.numel();
    t.copy_(flat.narrow(0, offset, n).view(t.sizes()));
    offset += n;
  }
}

c10d::ReduceOp reduceOp(jint op) {
  switch (op) {
    case 1:
      return c10d::ReduceOp(c10d::ReduceOp::MIN);
    case 2:
      return c10d::ReduceOp(c10d::ReduceOp::MAX);
    default:
      return c10d::ReduceOp(c10d::ReduceOp::SUM);
  }
}

c10::intrusive_ptr<c10d::Store> connect(const std::string& host, int port, int rank, int world, int timeoutMs) {
  c10d::TCPStoreOptions opts;
  opts.port = static_cast<std::uint16_t>(port);
  opts.isServer = rank == 0;
  opts.numWorkers = static_cast<std::size_t>(world);
  opts.waitWorkers = true;
  opts.timeout = std::chrono::milliseconds(timeoutMs);
  opts.useLibUV = false;
  return c10::make_intrusive<c10d::TCPStore>(host, opts);
}

}  // namespace

#define BRIDGE_BEGIN try {
#define BRIDGE_END(ret)                              \
  }                                                  \
  catch (const c10::Error& e) {                      \
    throwJava(env, e.what_without_backtrace());      \
    return ret;                                      \
  }                                                  \
  catch (const std::exception& e) {                  \
    throwJava(env, e.what());                        \
    return ret;                                      \
  }

extern "C" {

// Rendezvous through the TCPStore at host:port (rank 0 serves it), then a process group of the given backend
// ("gloo" or "nccl"). Returns an opaque handle for the other calls.
JNIEXPORT jlong JNICALL Java_dev_annealer_trainer_dist_C10dBridge_create(JNIEnv* env, jclass, jstring jbackend,
    jstring jhost, jint port, jint rank, jint world, jint timeoutMs, jstring jinterface) {
  BRIDGE_BEGIN
  std::string backend = jstring2(env, jbackend);
  std::string host = jstring2(env, jhost);
  std::string iface = jstring2(env, jinterface);
  auto* g = new Group();
  g->rank = rank;
  g->world = world;
  try {
    g->store = connect(host, port, rank, world, timeoutMs);
    auto timeout = std::chrono::milliseconds(timeoutMs);
    if (backend == "gloo") {
      auto options = c10::make_intrusive<c10d::ProcessGroupGloo::Options>(timeout);
      options->devices.push_back(iface.empty() ? c10d::ProcessGroupGloo::createDefaultDevice()
                                               : c10d::ProcessGroupGloo::createDeviceForInterface(iface));
      options->threads = 2;
      g->backend = c10::make_intrusive<c10d::ProcessGroupGloo>(g->store, rank, world, options);
#ifdef ANNEALER_WITH_NCCL
    } else if (backend == "nccl") {
      auto options = c10d::ProcessGroupNCCL::Options::create();
      options->timeout = timeout;
      g->backend = c10::make_intrusive<c10d::ProcessGroupNCCL>(g->store, rank, world, options);
#endif
    } else {
      throw std::invalid_argument("backend " + backend + " is not built into this bridge (gloo"
#ifdef ANNEALER_WITH_NCCL
                                  ", nccl"
#endif
                                  ")");
    }
  } catch (...) {
    delete g;
    throw;
  }
  return reinterpret_cast<jlong>(g);
  BRIDGE_END(0)
}

// In-place allreduce of the tensors (one flat buffer). op: 0 sum, 1 min, 2 max, 3 average (sum / world size).
JNIEXPORT void JNICALL Java_dev_annealer_trainer_dist_C10dBridge_allreduce(JNIEnv* env, jclass, jlong handle,
    jlongArray handles, jint op) {
  BRIDGE_BEGIN
  auto* g = reinterpret_cast<Group*>(handle);
  at::NoGradGuard noGrad;
  std::vector<at::Tensor> ts = tensors(env, handles);
  if (ts.empty()) {
    return;
  }
  std::vector<at::Tensor> buffer{flatten(ts)};
  c10d::AllreduceOptions opts;
  opts.reduceOp = reduceOp(op == 3 ? 0 : op);
  g->backend->allreduce(buffer, opts)->wait();
  if (op == 3) {
    buffer[0].div_(g->world);
  }
  unflatten(buffer[0], ts);
  BRIDGE_END()
}

// In-place broadcast of the tensors from rank root (one flat buffer).
JNIEXPORT void JNICALL Java_dev_annealer_trainer_dist_C10dBridge_broadcast(JNIEnv* env, jclass, jlong handle,
    jlongArray handles, jint root) {
  BRIDGE_BEGIN
  auto* g = reinterpret_cast<Group*>(handle);
  at::NoGradGuard noGrad;
  std::vector<at::Tensor> ts = tensors(env, handles);
  if (ts.empty()) {
    return;
  }
  std::vector<at::Tensor> buffer{flatten(ts)};
  c10d::BroadcastOptions opts;
  opts.rootRank = root;
  g->backend->broadcast(buffer, opts)->wait();
  unflatten(buffer[0], ts);
  BRIDGE_END()
}

JNIEXPORT void JNICALL Java_dev_annealer_trainer_dist_C10dBridge_barrier(JNIEnv* env, jclass, jlong handle) {
  BRIDGE_BEGIN
  auto* g = reinterpret_cast<Group*>(handle);
  g->backend->barrier()->wait();
  BRIDGE_END()
}

JNIEXPORT void JNICALL Java_dev_annealer_trainer_dist_C10dBridge_destroy(JNIEnv* env, jclass, jlong handle) {
  BRIDGE_BEGIN
  delete reinterpret_cast<Group*>(handle);
  BRIDGE_END()
}

}  // extern "C"
