// "No allocation inside a training step" for the MaxEnt actor-critic: counts every malloc made by
// ActorCriticTrainer::Step (policy sampling, vector-environment step with automatic resets,
// truncation bootstrap, and the update: GAE, loss, back-propagation, clipping, Adam) on CartPole-v1
// (categorical) and Pendulum-v1 (Gaussian) after the first updates. Exits 1 if any step allocates.
// Interposes the C allocator, so it is not built under the sanitizers.
#include <cstddef>
#include <cstdio>

#include "cai/rl/actor_critic.h"

extern "C" {
void* __libc_malloc(std::size_t);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void* __libc_memalign(std::size_t, std::size_t);
}

namespace {
bool counting = false;
long allocations = 0;
}  // namespace

extern "C" {
void* malloc(std::size_t n) {
  if (counting) ++allocations;
  return __libc_malloc(n);
}
void* calloc(std::size_t n, std::size_t size) {
  if (counting) ++allocations;
  return __libc_calloc(n, size);
}
void* realloc(void* p, std::size_t n) {
  if (counting) ++allocations;
  return __libc_realloc(p, n);
}
void* memalign(std::size_t alignment, std::size_t n) {
  if (counting) ++allocations;
  return __libc_memalign(alignment, n);
}
void* aligned_alloc(std::size_t alignment, std::size_t n) {
  if (counting) ++allocations;
  return __libc_memalign(alignment, n);
}
int posix_memalign(void** out, std::size_t alignment, std::size_t n) {
  if (counting) ++allocations;
  *out = __libc_memalign(alignment, n);
  return *out == nullptr ? 12 : 0;
}
}

int main() {
  counting = true;
  int* volatile probe = new int[4];
  delete[] probe;
  counting = false;
  if (allocations != 1) {
    std::printf("allocation counter is broken: %ld for one new[]\n", allocations);
    return 1;
  }
  int failures = 0;
  for (const char* env : {"CartPole-v1", "Pendulum-v1"}) {
    cai::rl::ActorCriticOptions o;
    o.entropy_coefficient = 0.01;
    cai::rl::ActorCriticTrainer trainer(env, o, 1'000'000);
    for (int i = 0; i < 5 * o.n_steps; ++i) trainer.Step();  // the first updates
    allocations = 0;
    counting = true;
    int episodes = 0;
    for (int i = 0; i < 500; ++i) episodes += static_cast<int>(trainer.Step().size());
    counting = false;
    std::printf("%s: %ld allocations in 500 actor-critic steps of %d copies (%d episode ends)\n", env, allocations,
                o.num_envs, episodes);
    if (allocations != 0) ++failures;
  }
  return failures == 0 ? 0 : 1;
}
