/*
 * guard.cc: the heap guard, loaded into every guest isolate (isolate and process targets) with
 * isolated-vm's NativeModule. It makes `--mem` a limit on all of a unikernel's memory, not only
 * on V8's heap, and keeps V8 from ending the whole tender when a guest reaches it.
 *
 * What it counts, "memory as the limit sees it":
 *   heap      V8's used heap (objects, strings, compiled JavaScript, on-heap wasm tables)
 *   external  what V8 counts outside the heap (ArrayBuffers, committed wasm memory) and the
 *             charges the guest runtime makes for what V8 does not count (Intl objects, wasm code)
 *   reserved  the part of each reservation V8 does not count: the uncommitted rest of each wasm
 *             memory up to its maximum, the whole maximum of a resizable ArrayBuffer
 * against one limit, --mem, which the tender sets once with `watch(bytes, flag)` before the
 * runtime runs (until then, V8's initial heap limit).
 *
 * Why native: V8 ends the process when an allocation does not fit after a last-resort GC, and
 * isolated-vm's own near-heap-limit callback undoes its raise in its GC epilogue (the next
 * allocation of a growing Set is then fatal; with a catastrophic-error handler the thread sleeps
 * forever). The guard's callback, added after isolated-vm's and so the one V8 calls, raises the
 * limit far enough for any single V8 object and terminates the guest instead; V8's termination
 * takes effect when the operation in progress returns. Its GC epilogue terminates a guest whose
 * total is over the limit after a full GC, and so does its check at the end of every turn (after
 * the microtask checkpoint isolated-vm performs), which catches an object V8 let past its limit
 * without a GC. Whenever it stops a guest it sets the word in `flag`, a SharedArrayBuffer the
 * tender reads after each turn without entering the isolate.
 *
 * Its functions (charge, reserve, pressure, available for the guest runtime; watch, state for
 * the tender) are listed in docs/abi.md, "Memory". One isolate-wide policy besides: code
 * generation from strings (eval, new Function) only for sources of at most 1 Mi characters (the
 * parser's memory grows with the source; isolated-vm allowed an eighth of the heap limit).
 *
 * Built by the tender with the host's C++ compiler against the headers of the running Node
 * (guard-addon.ts); the V8 API is C++, so the headers must be that Node's exactly.
 */

#include <v8.h>

#include <atomic>
#include <utility>
#include <cmath>
#include <cstdint>
#include <memory>
#include <vector>

#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

namespace {

using namespace v8;

/** How far V8's heap limit is raised once the guest is terminated: more than V8's largest object (1 GiB). */
constexpr size_t kRaise = size_t{2} << 30;
/** The longest source eval and new Function compile, in characters. */
constexpr int kCodeFromStringsMax = 1 << 20;
/** The largest charge or reservation one call may ask for (2^53, a safe integer). */
constexpr double kMaxRequest = 9007199254740992.0;

char empty_byte;

/** Charges whose tokens V8 has freed, possibly on a background thread; settled on the isolate's thread. */
struct Ledger { std::atomic<int64_t> released{0}; };

struct Charge { std::shared_ptr<Ledger> ledger; int64_t bytes; };

/** `counted`: V8 counts the committed part (wasm memory); else the whole maximum is the guard's to count. */
struct Reservation { std::weak_ptr<BackingStore> store; size_t max; bool counted; };

struct Use {
  size_t heap, external, reserved;
  size_t total() const { return heap + external + reserved; }
};

struct Guard {
  Isolate* isolate;
  size_t limit;
  int64_t charged = 0;
  int64_t pressure = 0;
  bool hit = false, collecting = false, watched = false;
  /** A CollectInterrupt is requested and has not run yet: one at a time, each is a full GC. */
  bool interrupting = false;
  std::shared_ptr<BackingStore> flag;
  std::shared_ptr<Ledger> ledger = std::make_shared<Ledger>();
  std::vector<Reservation> reservations;
  Eternal<ArrayBuffer> keeper;
};

void Settle(Guard& g) {
  int64_t released = g.ledger->released.exchange(0);
  if (released != 0) {
    g.charged -= released;
    g.isolate->AdjustAmountOfExternalAllocatedMemory(-released);
  }
}

size_t Reserved(Guard& g) {
  size_t sum = 0;
  auto& list = g.reservations;
  for (size_t i = 0; i < list.size();) {
    std::shared_ptr<BackingStore> store = list[i].store.lock();
    if (!store) {
      list[i] = list.back();
      list.pop_back();
      continue;
    }
    size_t length = store->ByteLength();
    sum += list[i].counted ? (list[i].max > length ? list[i].max - length : 0) : list[i].max;
    ++i;
  }
  return sum;
}

/**
 * V8's external memory counts ArrayBuffers and committed wasm memory, not what is reported with
 * AdjustAmountOfExternalAllocatedMemory (V8 13.6): the charges are added here (and reported to V8
 * all the same, for its GC heuristics; so is the pressure, which is not the guest's).
 */
Use Measure(Guard& g) {
  Settle(g);
  HeapStatistics heap;
  g.isolate->GetHeapStatistics(&heap);
  return Use{heap.used_heap_size(), heap.external_memory() + static_cast<size_t>(g.charged), Reserved(g)};
}

/** The total after a full GC: garbage, dead buffers and freed tokens are not the guest's. */
Use MeasureCollected(Guard& g) {
  g.collecting = true;
  g.isolate->LowMemoryNotification();
  g.collecting = false;
  return Measure(g);
}

void Flag(Guard& g) {
  g.hit = true;
  if (g.flag && g.flag->ByteLength() >= sizeof(int32_t)) reinterpret_cast<std::atomic<int32_t>*>(g.flag->Data())->store(1);
}

/** Stops the guest: V8 throws a termination (no JavaScript can catch it) when the operation in progress returns. */
void Hit(Guard& g) {
  if (!g.hit) (Flag(g), g.isolate->TerminateExecution());
}

bool Fits(Guard& g, size_t need) {
  if (g.hit) return false;
  if (Measure(g).total() + need <= g.limit) return true;
  return MeasureCollected(g).total() + need <= g.limit;
}

size_t NearHeapLimit(void* data, size_t current, size_t /*initial*/) {
  Hit(*static_cast<Guard*>(data));
  return current + kRaise;
}

void CollectInterrupt(Isolate* /*isolate*/, void* data) {
  Guard& g = *static_cast<Guard*>(data);
  g.interrupting = false;
  if (!g.hit && MeasureCollected(g).total() > g.limit) Hit(g);
}

void AfterGc(Isolate* isolate, GCType type, GCCallbackFlags /*flags*/, void* data) {
  Guard& g = *static_cast<Guard*>(data);
  if (g.collecting || g.hit) return;
  if ((type & kGCTypeMarkSweepCompact) != 0 && g.pressure != 0) {
    isolate->AdjustAmountOfExternalAllocatedMemory(-g.pressure);
    g.pressure = 0;
  }
  // Over after a GC that may have left garbage: decide after a full one, at the next safe point.
  if (!g.interrupting && Measure(g).total() > g.limit) {
    g.interrupting = true;
    isolate->RequestInterrupt(CollectInterrupt, data);
  }
}

/** The end of a turn: isolated-vm performs a microtask checkpoint after every call into the isolate. */
void AfterTurn(Isolate* /*isolate*/, void* data) {
  Guard& g = *static_cast<Guard*>(data);
  if (g.hit || g.collecting) return;
  if (Measure(g).total() > g.limit && MeasureCollected(g).total() > g.limit) Flag(g);
}

ModifyCodeGenerationFromStringsResult CodeFromStrings(Local<Context> /*context*/, Local<Value> source, bool /*is_code_like*/) {
  ModifyCodeGenerationFromStringsResult result;
  result.codegen_allowed = source->IsString() && source.As<String>()->Length() <= kCodeFromStringsMax;
  return result;
}

void ThrowType(Isolate* isolate, const char* message) {
  isolate->ThrowException(Exception::TypeError(String::NewFromUtf8(isolate, message).ToLocalChecked()));
}

Guard& From(const FunctionCallbackInfo<Value>& info) {
  return *static_cast<Guard*>(info.Data().As<External>()->Value());
}

/** A byte count from the guest runtime: a finite number in [0, 2^53]; anything else throws. */
bool Bytes(const FunctionCallbackInfo<Value>& info, int index, size_t* out) {
  double n = info[index]->IsNumber() ? info[index].As<Number>()->Value() : -1;
  if (!(n >= 0 && n <= kMaxRequest) || std::isnan(n)) return ThrowType(info.GetIsolate(), "tsuki heap guard: expected a byte count"), false;
  *out = static_cast<size_t>(n);
  return true;
}

void ChargeCall(const FunctionCallbackInfo<Value>& info) {
  Guard& g = From(info);
  size_t bytes;
  if (!Bytes(info, 0, &bytes)) return;
  if (!Fits(g, bytes)) return info.GetReturnValue().SetNull();
  auto* charge = new Charge{g.ledger, static_cast<int64_t>(bytes)};
  auto deleter = [](void*, size_t, void* data) {
    auto* c = static_cast<Charge*>(data);
    c->ledger->released += c->bytes;
    delete c;
  };
  std::unique_ptr<BackingStore> store = ArrayBuffer::NewBackingStore(&empty_byte, 0, deleter, charge);
  g.charged += static_cast<int64_t>(bytes);
  g.isolate->AdjustAmountOfExternalAllocatedMemory(static_cast<int64_t>(bytes));
  info.GetReturnValue().Set(ArrayBuffer::New(g.isolate, std::move(store)));
}

void ReserveCall(const FunctionCallbackInfo<Value>& info) {
  Guard& g = From(info);
  size_t max;
  if (!Bytes(info, 1, &max)) return;
  std::shared_ptr<BackingStore> store;
  if (info[0]->IsArrayBuffer()) store = info[0].As<ArrayBuffer>()->GetBackingStore();
  else if (info[0]->IsSharedArrayBuffer()) store = info[0].As<SharedArrayBuffer>()->GetBackingStore();
  else return ThrowType(g.isolate, "tsuki heap guard: expected a buffer");
  bool counted = info[2]->IsTrue();
  // A buffer whose memory is already reserved (transfer() may keep the backing store).
  for (const Reservation& r : g.reservations) if (r.store.lock() == store) return info.GetReturnValue().Set(true);
  size_t length = store->ByteLength();
  size_t need = counted ? (max > length ? max - length : 0) : max;
  if (!Fits(g, need)) return info.GetReturnValue().Set(false);
  g.reservations.push_back(Reservation{store, max, counted});
  info.GetReturnValue().Set(true);
}

void PressureCall(const FunctionCallbackInfo<Value>& info) {
  Guard& g = From(info);
  size_t bytes;
  if (!Bytes(info, 0, &bytes)) return;
  g.pressure += static_cast<int64_t>(bytes);
  g.isolate->AdjustAmountOfExternalAllocatedMemory(static_cast<int64_t>(bytes));
}

void AvailableCall(const FunctionCallbackInfo<Value>& info) {
  Guard& g = From(info);
  Use use = info[0]->IsTrue() ? MeasureCollected(g) : Measure(g);
  double left = g.hit || use.total() >= g.limit ? 0 : static_cast<double>(g.limit - use.total());
  info.GetReturnValue().Set(left);
}

void StateCall(const FunctionCallbackInfo<Value>& info) {
  Guard& g = From(info);
  Use use = Measure(g);
  if (!g.hit && use.total() > g.limit) {
    use = MeasureCollected(g);
    if (use.total() > g.limit) Flag(g);
  }
  Isolate* isolate = g.isolate;
  Local<Value> values[] = {
      Number::New(isolate, static_cast<double>(use.heap)), Number::New(isolate, static_cast<double>(use.external)),
      Number::New(isolate, static_cast<double>(use.reserved)), Number::New(isolate, static_cast<double>(g.limit)),
      Boolean::New(isolate, g.hit)};
  info.GetReturnValue().Set(Array::New(isolate, values, 5));
}

void WatchCall(const FunctionCallbackInfo<Value>& info) {
  Guard& g = From(info);
  size_t bytes;
  if (!Bytes(info, 0, &bytes)) return;
  if (g.watched || !info[1]->IsSharedArrayBuffer()) return ThrowType(g.isolate, "tsuki heap guard: watch(limit, flag) is called once, with a SharedArrayBuffer");
  g.watched = true;
  g.limit = bytes;
  g.flag = info[1].As<SharedArrayBuffer>()->GetBackingStore();
}

void Define(Local<Context> context, Local<Object> target, Guard* g, const char* name, FunctionCallback call) {
  Isolate* isolate = context->GetIsolate();
  Local<Function> fn = Function::New(context, call, External::New(isolate, g), 0, ConstructorBehavior::kThrow).ToLocalChecked();
  target->Set(context, String::NewFromUtf8(isolate, name).ToLocalChecked(), fn).Check();
}

}  // namespace

/** Called by isolated-vm's NativeModule.create in the guest's isolate, once per guest. */
extern "C" void InitForContext(Isolate* isolate, Local<Context> context, Local<Object> target) {
  HeapStatistics heap;
  isolate->GetHeapStatistics(&heap);
  auto* g = new Guard{isolate, heap.heap_size_limit()};
  // Freed with the isolate: an empty buffer held by an eternal handle, whose deleter V8 calls at teardown.
  auto free_guard = [](void*, size_t, void* data) { delete static_cast<Guard*>(data); };
  g->keeper.Set(isolate, ArrayBuffer::New(isolate, ArrayBuffer::NewBackingStore(&empty_byte, 0, free_guard, g)));
  isolate->AddNearHeapLimitCallback(NearHeapLimit, g);
  isolate->AddGCEpilogueCallback(AfterGc, g);
  isolate->AddMicrotasksCompletedCallback(AfterTurn, g);
  isolate->SetModifyCodeGenerationFromStringsCallback(CodeFromStrings);
  const std::pair<const char*, FunctionCallback> functions[] = {
      {"charge", ChargeCall}, {"reserve", ReserveCall}, {"pressure", PressureCall}, {"available", AvailableCall}, {"state", StateCall}, {"watch", WatchCall}};
  for (const auto& [name, call] : functions) Define(context, target, g, name, call);
}
