# The two set-up commands (see README): `make demo` and `make test`. Both install what a fresh
# Debian machine lacks, configure, build and run. Builds use 2 parallel jobs (the target machine).
JOBS ?= 2
RELEASE_DIR ?= build/release
TEST_DIR ?= build/test
ASAN_DIR ?= build/asan

.PHONY: deps demo test sanitize bench release clean

deps:
	bash scripts/install-deps.sh

release: deps
	cmake -S . -B $(RELEASE_DIR) -DCMAKE_BUILD_TYPE=Release -DCAI_BUILD_TESTS=OFF
	cmake --build $(RELEASE_DIR) -j$(JOBS)

# The tour of every capability built so far, on built-in problems.
demo: release
	bash scripts/demo.sh $(RELEASE_DIR)/apps/cai/cai
	bash scripts/demo-python.sh

# The whole test suite: warnings are errors, assertions on (RelWithDebInfo without NDEBUG).
test: deps
	cmake -S . -B $(TEST_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g" \
	  -DCAI_WERROR=ON
	cmake --build $(TEST_DIR) -j$(JOBS)
	ctest --test-dir $(TEST_DIR) -j$(JOBS) --output-on-failure

# The whole test suite under AddressSanitizer + UndefinedBehaviorSanitizer.
sanitize: deps
	cmake -S . -B $(ASAN_DIR) -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g" \
	  -DCAI_SANITIZE=ON -DCAI_WERROR=ON -DCAI_BUILD_BENCH=OFF
	cmake --build $(ASAN_DIR) -j$(JOBS)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --test-dir $(ASAN_DIR) -j$(JOBS) --output-on-failure

# Benchmarks (not tests): soft value iteration on a 10^6-state gridworld vs NumPy/SciPy, SAC on
# Pendulum-v1 (speed and 5-seed quality; about 7 minutes, most of it the 256x256 configuration),
# soft DQN on CartPole-v1 and Acrobot-v1 (about 6 minutes), the actor-critic on CartPole-v1 and
# Pendulum-v1 (about 2 minutes), MPPI speed and returns (about 2 minutes), PETS (3 seeds, about 2
# minutes), the IRL gradient against `imitation` (the first run pip-installs it into a venv) and at
# 10^6 states (about 3 minutes), the objectworld EVD sweep, and the demonstration priors.
bench: deps
	bash bench/run_soft_vi_bench.sh
	bash bench/run_sac_bench.sh
	bash bench/run_soft_q_bench.sh
	bash bench/run_actor_critic_bench.sh
	bash bench/run_mppi_bench.sh
	bash bench/run_mppi_return_sweep.sh
	bash bench/run_pets_bench.sh
	bash bench/run_irl_bench.sh
	cmake --build build/rel -j2 --target cai_cli && bash bench/run_objectworld_evd.sh build/rel/apps/cai/cai
	bash bench/run_demonstration_prior_bench.sh

clean:
	rm -rf build
