// "No allocation inside a training step": counts every malloc/calloc/realloc/memalign made by SAC
// training steps on Pendulum-v1 (environment step, replay insert, batch sampling, critic, actor
// and temperature updates, Polyak averaging) and by soft DQN steps on CartPole-v1 (Boltzmann
// sampling, soft targets, automatic temperature, target copies) and by actor-critic steps of 8
// copies on CartPole-v1 and Pendulum-v1 (rollouts, GAE, updates) after warm-up. Exits 1 if any
// step allocates.
// Interposes the C allocator, so it is not built under the sanitizers (which interpose it too).
#include <cstddef>
#include <cstdio>

#include "cai/rl/actor_critic.h"
#include "cai/rl/sac_trainer.h"
#include "cai/rl/soft_dqn.h"

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
  cai::rl::SacOptions o;
  o.hidden = {64, 64};
  o.batch_size = 100;
  o.buffer_size = 10000;
  o.learning_starts = 100;
  cai::rl::SacTrainer trainer("Pendulum-v1", o, 2000);
  for (int i = 0; i < 300; ++i) trainer.Step();  // warm-up and the first updates
  // The counter itself works: one operator new is one malloc.
  counting = true;
  int* volatile probe = new int[4];
  delete[] probe;
  counting = false;
  if (allocations != 1) {
    std::printf("allocation counter is broken: %ld for one new[]\n", allocations);
    return 1;
  }
  allocations = 0;
  counting = true;
  int episodes = 0;
  for (int i = 0; i < 1000; ++i) episodes += static_cast<int>(trainer.Step().size());
  counting = false;
  std::printf("%ld allocations in 1000 SAC training steps (%d episode ends)\n", allocations, episodes);
  const long sac_allocations = allocations;

  cai::rl::SoftQOptions q;
  q.hidden = {64, 64};
  q.learning_starts = 100;
  q.train_frequency = 4;
  q.gradient_steps = 2;
  q.target_update_interval = 10;
  q.auto_temperature = true;
  cai::rl::SoftQTrainer soft_q("CartPole-v1", q, 5000);
  for (int i = 0; i < 300; ++i) soft_q.Step();
  allocations = 0;
  episodes = 0;
  counting = true;
  for (int i = 0; i < 1000; ++i) episodes += static_cast<int>(soft_q.Step().size());
  counting = false;
  std::printf("%ld allocations in 1000 soft DQN training steps (%d episode ends)\n", allocations, episodes);
  int failures = (sac_allocations != 0) + (allocations != 0);

  for (const char* env : {"CartPole-v1", "Pendulum-v1"}) {
    cai::rl::ActorCriticOptions ac;
    cai::rl::ActorCriticTrainer actor_critic(env, ac, 1'000'000);
    for (int i = 0; i < 5 * ac.n_steps; ++i) actor_critic.Step();  // the first updates
    allocations = 0;
    episodes = 0;
    counting = true;
    for (int i = 0; i < 500; ++i) episodes += static_cast<int>(actor_critic.Step().size());
    counting = false;
    std::printf("%s: %ld allocations in 500 actor-critic steps of %d copies (%d episode ends)\n", env, allocations,
                ac.num_envs, episodes);
    failures += allocations != 0;
  }
  return failures == 0 ? 0 : 1;
}
