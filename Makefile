# hpo -- hyperparameter search for Slurm clusters.
#
#   make                 build bin/hpo, lib/libhpo.a, lib/libhpo.so
#
# Two libraries: libhpo.a/.so is the trial-side library that `make install`
# and hpo.pc give to trial programs (lib/client and the journal and util code
# it needs: no HDF5, no Slurm, exporting only lib/hpo.h's hpo_* symbols);
# $(BUILD)/libhpo-internal.a holds everything, for the hpo command and the
# unit tests.
#   make test            unit tests (cmocka) and integration tests, HPO_TEST_JOBS
#                        (default 3) at a time; HPO_TEST_ONLY=REGEX picks suites
#   make test SAN=1      the same under AddressSanitizer + UBSan
#   make install PREFIX=/usr/local
#   make deps            install the Debian packages the build and tests need
#   make bench           benchmarks against peers (by hand; slow)

PREFIX  ?= /usr/local
CC      ?= cc
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -Wall -Wextra -D_GNU_SOURCE -fPIC -fvisibility=hidden -Ilib
HDF5_CFLAGS := $(shell pkg-config --cflags hdf5 2>/dev/null)
HDF5_LIBS   := $(shell pkg-config --libs hdf5 2>/dev/null) -lhdf5_hl
LIBS    := $(HDF5_LIBS) -lyaml -lcrypto -llapacke -lopenblas -ldeflate -lm -ldl -lpthread
CFLAGS  += $(HDF5_CFLAGS)

# libslurm when its header is there (NO_LIBSLURM=1 builds the CLI backend only).
ifeq ($(NO_LIBSLURM)$(wildcard /usr/include/slurm/slurm.h),/usr/include/slurm/slurm.h)
  CFLAGS  += -DHPO_HAVE_LIBSLURM
  LIBS    += -lslurm
endif

VARIANT := $(if $(NO_LIBSLURM),-cli,)
ifeq ($(SAN),1)
  BUILD   := build/san$(VARIANT)
  CFLAGS  += -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
  LDFLAGS += -fsanitize=address,undefined
else
  BUILD   := build/release$(VARIANT)
endif

LIB_SRC  := $(wildcard lib/*/*.c)
BIN_SRC  := $(wildcard bin/*.c)
TEST_SRC := $(wildcard tests/unit/test_*.c)
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
# The trial-side library: hpo_report() and what it calls, nothing more.
CLIENT_OBJ  := $(patsubst %,$(BUILD)/lib/%.o,client/report store/journal core/util core/metric_name)
CLIENT_LIBS := -ldeflate -lm
BIN_OBJ  := $(BIN_SRC:%.c=$(BUILD)/%.o)
TESTS    := $(TEST_SRC:tests/unit/%.c=$(BUILD)/tests/%)
EXAMPLES := examples/quadratic/quadratic examples/mlp-cuda/mlp

.PHONY: all test install deps bench clean FORCE print-build print-libs fuzz soak
all: bin/hpo lib/libhpo.a lib/libhpo.so $(EXAMPLES)

# Each object depends on the headers it includes (-MMD -MP writes .d files).
$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@
-include $(LIB_OBJ:.o=.d) $(BIN_OBJ:.o=.d)

$(BUILD)/libhpo-internal.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/hpo: $(BIN_OBJ) $(BUILD)/libhpo-internal.a
	$(CC) $(LDFLAGS) -o $@ $(BIN_OBJ) $(BUILD)/libhpo-internal.a $(LIBS)

# libhpo.a is one relocatable object whose hidden symbols are made local
# (visibility alone does not keep a static link from clashing with a
# program's own read_file()).
$(BUILD)/libhpo.a: $(CLIENT_OBJ)
	@rm -f $@ $(BUILD)/hpo-client.o
	$(LD) -r -o $(BUILD)/hpo-client-all.o $^
	objcopy --localize-hidden $(BUILD)/hpo-client-all.o $(BUILD)/hpo-client.o
	ar rcs $@ $(BUILD)/hpo-client.o

$(BUILD)/libhpo.so: $(CLIENT_OBJ)
	$(CC) $(LDFLAGS) -shared -Wl,-soname,libhpo.so.0 -o $@ $(CLIENT_OBJ) $(CLIENT_LIBS)

$(BUILD)/examples/quadratic/quadratic: examples/quadratic/quadratic.c lib/hpo.h $(BUILD)/libhpo.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libhpo.a $(CLIENT_LIBS)

# The copies in bin/, lib/ and examples/ are always of the variant (release
# or SAN=1) of this make: FORCE makes make look, cmp keeps timestamps when
# nothing changed.
bin/hpo: $(BUILD)/hpo FORCE
	@cmp -s $< $@ || { cp $< $@.tmp && mv -f $@.tmp $@; }
lib/libhpo.a: $(BUILD)/libhpo.a FORCE
	@cmp -s $< $@ || { cp $< $@.tmp && mv -f $@.tmp $@; }
lib/libhpo.so: $(BUILD)/libhpo.so FORCE
	@cmp -s $< $@ || { cp $< $@.tmp && mv -f $@.tmp $@; }
examples/quadratic/quadratic: $(BUILD)/examples/quadratic/quadratic FORCE
	@cmp -s $< $@ || { cp $< $@.tmp && mv -f $@.tmp $@; }

# examples/mlp-cuda: the CPU build (plain C) is part of `all`; `make mlp-cuda`
# builds the CUDA one, examples/mlp-cuda/mlp-cuda, when nvcc is found (or
# NVCC=/path/to/nvcc), and otherwise says it skipped it.
MLP       := examples/mlp-cuda
NVCC      ?= $(firstword $(shell command -v nvcc 2>/dev/null) $(wildcard /usr/local/cuda/bin/nvcc))
NVCCFLAGS ?= -O2 -Xcompiler -Wall,-Wextra -gencode arch=compute_75,code=compute_75 \
             -gencode arch=compute_80,code=sm_80 -gencode arch=compute_90,code=sm_90
$(BUILD)/$(MLP)/mlp: $(MLP)/mlp.c $(MLP)/kernels_cpu.c $(MLP)/kernels.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(MLP)/mlp.c $(MLP)/kernels_cpu.c -lz -lm
$(MLP)/mlp: $(BUILD)/$(MLP)/mlp FORCE
	@cmp -s $< $@ || { cp $< $@.tmp && mv -f $@.tmp $@; }
.PHONY: mlp-cuda
ifneq ($(NVCC),)
mlp-cuda: $(MLP)/mlp-cuda
$(MLP)/mlp-cuda: $(MLP)/mlp.c $(MLP)/kernels_cuda.cu $(MLP)/kernels.h
	@mkdir -p build/cuda
	$(CC) -O2 -g -std=c11 -Wall -Wextra -D_GNU_SOURCE -c -o build/cuda/mlp.o $(MLP)/mlp.c
	$(NVCC) $(NVCCFLAGS) -fmad=false -o $@ build/cuda/mlp.o $(MLP)/kernels_cuda.cu -lz -lm
else
mlp-cuda:
	@echo "mlp-cuda: CUDA build skipped: no nvcc on PATH or in /usr/local/cuda/bin (NVCC=/path/to/nvcc)"
endif
FORCE:

# Every unit test links the optimizer tests' simulated history (sim_history.c).
$(BUILD)/tests/sim_history.o: tests/unit/sim_history.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/tests/sim_history.o $(BUILD)/libhpo-internal.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -MMD -MP -o $@ $< $(BUILD)/tests/sim_history.o $(BUILD)/libhpo-internal.a $(LIBS) -lcmocka
-include $(TESTS:=.d) $(BUILD)/tests/sim_history.d

test: all $(TESTS)
	@HPO_BUILD=$(BUILD) SAN=$(SAN) tests/run.sh $(TESTS)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include \
	    $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/share/hpo
	install -m 755 bin/hpo $(DESTDIR)$(PREFIX)/bin/hpo
	install -m 644 lib/libhpo.a $(DESTDIR)$(PREFIX)/lib/libhpo.a
	install -m 755 lib/libhpo.so $(DESTDIR)$(PREFIX)/lib/libhpo.so.0
	ln -sf libhpo.so.0 $(DESTDIR)$(PREFIX)/lib/libhpo.so
	install -m 644 lib/hpo.h $(DESTDIR)$(PREFIX)/include/hpo.h
	install -m 644 templates/round.sbatch.in templates/driver.sbatch.in $(DESTDIR)$(PREFIX)/share/hpo/
	install -m 755 slurm/hpo-driver.sh $(DESTDIR)$(PREFIX)/share/hpo/hpo-driver.sh
	install -d $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/bash-completion/completions
	install -m 644 docs/hpo.1 $(DESTDIR)$(PREFIX)/share/man/man1/hpo.1
	install -m 644 docs/hpo.bash-completion $(DESTDIR)$(PREFIX)/share/bash-completion/completions/hpo
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(shell sed -n 's/#define HPO_VERSION "\(.*\)"/\1/p' lib/hpo.h)|' \
	    -e 's|@LIBS@|$(CLIENT_LIBS)|' templates/hpo.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/hpo.pc

DEB_PACKAGES := build-essential pkg-config clang libclang-rt-dev libyaml-dev libhdf5-dev hdf5-tools libcmocka-dev \
                libssl-dev zlib1g-dev libdeflate-dev python3 python3-h5py python3-numpy \
                slurm-wlm slurmctld slurmd munge libslurm-dev \
                python3-pandas python3-matplotlib chromium \
                liblapacke-dev libopenblas-dev python3-optuna python3-cmaes python3-scipy python3-mpmath
deps:
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(DEB_PACKAGES)

bench: all
	bench/ingest/run.sh
	bench/report/run.sh
	bench/slurm/run.sh

# Long runs, not part of `make test`: a reader holds results.h5 open
# through a sweep of SOAK_TRIALS trials (each one a publish it must not
# notice), with new readers checking every snapshot meanwhile.
SOAK_TRIALS ?= 2000
soak: all
	HPO="$(CURDIR)/bin/hpo" HPO_REPO="$(CURDIR)" HPO_READER_TRIALS=$(SOAK_TRIALS) bash tests/integration/reader_held_open.sh

# libFuzzer targets (clang): make fuzz FUZZ_SECONDS=60 runs each that long
# on its committed seed corpus (tests/fuzz/corpus/NAME) plus what it finds
# (build/fuzz/corpus-NAME).  A crash stops it and leaves crash-* files.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := spec journal metrics
FUZZ_FLAGS   := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
                -std=c11 -D_GNU_SOURCE -Ilib
FUZZ_SRC_spec    := lib/spec/spec.c lib/spec/space.c lib/core/rng.c lib/core/util.c lib/core/sha256.c lib/core/metric_name.c lib/spec/slurm_units.c
FUZZ_SRC_journal := lib/store/journal.c lib/core/util.c lib/core/metric_name.c
FUZZ_SRC_metrics := lib/trial/metrics.c lib/core/util.c lib/core/metric_name.c

build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(wildcard lib/*/*.c lib/*/*.h)
	@mkdir -p $(dir $@)
	clang $(FUZZ_FLAGS) -o $@ $< $(FUZZ_SRC_$*) -lyaml -lcrypto -ldeflate -lm

fuzz: $(FUZZ_TARGETS:%=build/fuzz/fuzz_%)
	@for t in $(FUZZ_TARGETS); do \
	    mkdir -p build/fuzz/corpus-$$t; \
	    echo "fuzz $$t: $(FUZZ_SECONDS) s"; \
	    build/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 -artifact_prefix=build/fuzz/$$t- \
	        build/fuzz/corpus-$$t tests/fuzz/corpus/$$t > build/fuzz/$$t.log 2>&1 \
	        || { tail -40 build/fuzz/$$t.log; echo "fuzz $$t: CRASH (see build/fuzz/$$t-*)"; exit 1; }; \
	    grep -E 'stat::number_of_executed_units|stat::peak_rss_mb' build/fuzz/$$t.log | sed "s/^/fuzz $$t: /"; \
	done

# Where this variant builds (for tests that build another variant), and
# what a program linked against its libhpo-internal.a needs (bench_opt).
print-build:
	@echo $(BUILD)

print-libs:
	@echo $(LIBS)

clean:
	rm -rf build bin/hpo lib/libhpo.a lib/libhpo.so $(EXAMPLES)
