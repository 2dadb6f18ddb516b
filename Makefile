# wsx - one Makefile. `make` builds build/wsx and the example service plugins; `make run` installs what is missing
# and starts `wsx quickstart`; `make test` installs what is missing, builds the
# sanitizer build and runs every tier; `make bench` runs the benchmarks.

CC      ?= cc
PKGS    := sqlite3 libpq jansson libsodium libssl libcrypto libcurl zlib
WARN    := -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter
CFLAGS_COMMON := -std=gnu11 $(WARN) -Isrc -Iinclude -Ibuild/gen -D_GNU_SOURCE -pthread -MMD -MP
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
LIBS    = $(PKG_LIBS) -pthread -ldl

REL_CFLAGS  := -O2 -g -DNDEBUG
ASAN_CFLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

SRCS     := $(shell find src -name '*.c' | sort)
LIB_SRCS := $(filter-out src/main.c,$(SRCS))
MIGRATIONS := $(sort $(wildcard src/odb/migrations/*.sql))
WEB_ASSETS := $(sort $(shell find web/admin -type f 2>/dev/null))
WEB_GEN  := build/gen/web_assets.h
GEN      := build/gen/odb_migrations.h $(WEB_GEN)
# The list of web files as of the last build: adding or removing one changes it,
# which regenerates the header (a changed file does so through its timestamp).
WEB_LIST := build/gen/web_assets.list
$(shell mkdir -p build/gen; echo '$(WEB_ASSETS)' | cmp -s - $(WEB_LIST) || echo '$(WEB_ASSETS)' > $(WEB_LIST))

REL_OBJS  := $(LIB_SRCS:%.c=build/rel/%.o)
ASAN_OBJS := $(LIB_SRCS:%.c=build/asan/%.o)

UNIT_SRCS := $(shell find tests/unit -name 'test_*.c' 2>/dev/null | sort)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=build/asan/tests/%)
FUZZ_SRCS := $(wildcard fuzz/fuzz_*.c)
FUZZ_REPLAY := $(FUZZ_SRCS:fuzz/%.c=build/asan/fuzz/%)

PY     := /usr/bin/python3
PYTEST := $(PY) -m pytest

.PHONY: all run test unit fuzz-replay integration conformance e2e fuzz bench deps clean format examples
all: build/wsx examples

# Service plugins see only the public header: a plugin needs nothing else from wsx.
PLUGIN_CFLAGS := -shared -fPIC -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter -Iinclude
EXAMPLES := $(patsubst examples/services/%.c,build/examples/%.so,$(sort $(wildcard examples/services/*.c)))
# variants for the tests: a new version of hello, and plugins wsx must refuse or replace
TEST_PLUGINS := build/examples/test/hello-v2.so build/examples/test/fixture-1.so \
	build/examples/test/fixture-2.so build/examples/test/wrong-abi.so \
	build/examples/test/init-fails.so build/examples/test/builtin-name.so \
	build/examples/test/probe.so

examples: $(EXAMPLES)

build/examples/%.so: examples/services/%.c include/wsx/service.h
	@mkdir -p $(dir $@)
	$(CC) $(PLUGIN_CFLAGS) -o $@ $<

build/examples/test/hello-v2.so: examples/services/hello.c include/wsx/service.h
	@mkdir -p $(dir $@)
	$(CC) $(PLUGIN_CFLAGS) -DHELLO_VERSION=2 -o $@ $<

FIXTURE := tests/unit/service/plugin_fixture.c
build/examples/test/fixture-%.so: $(FIXTURE) include/wsx/service.h
	@mkdir -p $(dir $@)
	$(CC) $(PLUGIN_CFLAGS) -DFIXTURE_ANSWER='"$*"' -o $@ $<
build/examples/test/wrong-abi.so: $(FIXTURE) include/wsx/service.h
	@mkdir -p $(dir $@)
	$(CC) $(PLUGIN_CFLAGS) -DFIXTURE_ABI=2 -o $@ $<
build/examples/test/init-fails.so: $(FIXTURE) include/wsx/service.h
	@mkdir -p $(dir $@)
	$(CC) $(PLUGIN_CFLAGS) -DFIXTURE_INIT_RC=-1 -o $@ $<
build/examples/test/builtin-name.so: $(FIXTURE) include/wsx/service.h
	@mkdir -p $(dir $@)
	$(CC) $(PLUGIN_CFLAGS) -DFIXTURE_SERVICE='"demo.echo"' -o $@ $<
# the integration tests' probe of what a service sees (test_session_services.py)
build/examples/test/probe.so: tests/integration/plugins/probe.c include/wsx/service.h
	@mkdir -p $(dir $@)
	$(CC) $(PLUGIN_CFLAGS) -o $@ $< -ljansson

deps:
	@scripts/install-deps

build/gen/odb_migrations.h: $(MIGRATIONS) scripts/embed-migrations
	@mkdir -p $(dir $@)
	scripts/embed-migrations $(MIGRATIONS) > $@

# the web admin, embedded: only admin_assets.c includes the header
$(WEB_GEN): $(WEB_ASSETS) $(WEB_LIST) scripts/embed-web-assets
	@mkdir -p $(dir $@)
	scripts/embed-web-assets web/admin $(WEB_ASSETS) > $@.tmp && mv $@.tmp $@
build/rel/src/admin/admin_assets.o build/asan/src/admin/admin_assets.o: $(WEB_GEN)

build/rel/%.o: %.c | $(GEN)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_COMMON) $(REL_CFLAGS) $(PKG_CFLAGS) -c $< -o $@

build/asan/%.o: %.c | $(GEN)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_COMMON) $(ASAN_CFLAGS) $(PKG_CFLAGS) -c $< -o $@

build/rel/libwsx.a: $(REL_OBJS)
	@rm -f $@; ar rcs $@ $^
build/asan/libwsx.a: $(ASAN_OBJS)
	@rm -f $@; ar rcs $@ $^

build/wsx: build/rel/src/main.o build/rel/libwsx.a
	$(CC) $(REL_CFLAGS) -o $@ $^ $(LIBS)

build/asan/wsx: build/asan/src/main.o build/asan/libwsx.a
	$(CC) $(ASAN_CFLAGS) -o $@ $^ $(LIBS)

# A test may #include the .c it tests; the archive supplies the rest.
build/asan/tests/%: tests/unit/%.c build/asan/libwsx.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_COMMON) $(ASAN_CFLAGS) $(PKG_CFLAGS) -Itests/unit -Itests/support -o $@ $< build/asan/libwsx.a $(LIBS) -lcriterion

# Fuzz targets, built two ways: with a replay driver under gcc's ASan/UBSan (make
# test replays the committed corpus), and with libFuzzer under clang (make fuzz).
build/asan/fuzz/%: fuzz/%.c fuzz/replay.c build/asan/libwsx.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_COMMON) $(ASAN_CFLAGS) $(PKG_CFLAGS) -Itests/support -o $@ $< fuzz/replay.c build/asan/libwsx.a $(LIBS)

FUZZ_LIB_SRCS := $(wildcard src/common/*.c) src/http/http_parse.c src/ws/ws_frame.c src/ws/ws_handshake.c \
                 src/ws/ws_deflate.c \
                 src/security/security_jwt.c src/wsx/wsx_json.c src/wsx/envelope.c \
                 src/channel/channel.c src/admin/admin_json.c src/admin/admin_channel_json.c \
                 src/admin/admin_security_json.c src/security/security.c src/cluster/cluster_sign.c
# security.c's bitwise '|' of two name checks is deliberate (no short circuit):
# clang's -Wbitwise-instead-of-logical (gcc has no such warning) is off here only.
build/fuzz/%: fuzz/%.c $(FUZZ_LIB_SRCS)
	@mkdir -p $(dir $@)
	clang $(filter-out -MMD -MP,$(CFLAGS_COMMON)) -Wno-bitwise-instead-of-logical -g -O1 -fsanitize=fuzzer,address,undefined $(PKG_CFLAGS) -Itests/support -o $@ $< $(FUZZ_LIB_SRCS) -lcrypto -ljansson -lsodium -lz

run: deps build/wsx
	build/wsx quickstart

test: deps
	$(MAKE) --no-print-directory unit fuzz-replay integration conformance e2e

# the service tests load the example plugins and the variants
build/asan/tests/service/test_service: $(EXAMPLES) $(TEST_PLUGINS)

# The ODB tests run on SQLite, then on a PostgreSQL that tests/support/pg.py starts for
# the run (a few seconds) and removes at the end: test_odb.c once more, test_odb_pg.c.
PG_UNIT_BINS := build/asan/tests/odb/test_odb build/asan/tests/odb/test_odb_pg
unit: $(UNIT_BINS)
	@set -e; pg=$$($(PY) tests/support/pg.py start); set -- $$pg; [ -n "$$2" ]; \
	  trap "$(PY) tests/support/pg.py stop $$1" EXIT; \
	  for t in $(filter-out build/asan/tests/odb/test_odb_pg,$(UNIT_BINS)); do \
	    echo "== $$t"; $$t --jobs 2 --short-filename; done; \
	  for t in $(PG_UNIT_BINS); do echo "== $$t on PostgreSQL $$2"; \
	    WSX_TEST_ODB_URL=$$2 $$t --jobs 2 --short-filename; done

fuzz-replay: $(FUZZ_REPLAY)
	@set -e; for t in $(FUZZ_REPLAY); do n=$$(basename $$t); \
	  echo "== replay $$n"; $$t fuzz/corpus/$${n#fuzz_}/*; done

build/tests/alloccount.so: tests/tools/alloccount.c
	@mkdir -p $(dir $@)
	$(CC) -shared -fPIC -O2 -Wall -Wextra -Werror -o $@ $<

# Then the admin API, security and CLI tests once more with the shared server's ODB on
# PostgreSQL (a cluster started by the pg fixture, tests/integration/pg_fixtures.py).
PG_INTEGRATION := tests/integration/test_admin_api.py tests/integration/test_security_api.py \
	tests/integration/test_channels_cli.py tests/integration/test_security_cli.py
integration: build/asan/wsx build/wsx build/tests/alloccount.so $(EXAMPLES) $(TEST_PLUGINS)
	WSX_BIN=$(CURDIR)/build/asan/wsx $(PYTEST) -q tests/integration
	WSX_BIN=$(CURDIR)/build/asan/wsx WSX_TEST_ODB=postgresql $(PYTEST) -q $(PG_INTEGRATION)

# The Autobahn|Testsuite case groups 1-7, 9, 10, 12, 13 (tests/conformance/) against a raw echo
# channel of the ASan server; writes docs/conformance.md, one line per case.
conformance: build/asan/wsx
	WSX_BIN=$(CURDIR)/build/asan/wsx $(PY) tests/conformance/conformance.py

# the web admin in Debian's Chromium (playwright-core); writes docs/screenshots/, and on a
# failure a screenshot and the server's log to build/e2e-failures/
e2e: build/asan/wsx
	WSX_BIN=$(CURDIR)/build/asan/wsx node --test --test-reporter=spec tests/e2e/admin.test.js

fuzz: $(FUZZ_SRCS:fuzz/%.c=build/fuzz/%)
	@set -e; for t in $^; do n=$$(basename $$t); mkdir -p build/fuzz/corpus-$$n; \
	  echo "== fuzz $$n for $${FUZZ_SECONDS:-60}s"; \
	  d=fuzz/$${n#fuzz_}.dict; dict=; if [ -f $$d ]; then dict=-dict=$$d; fi; \
	  $$t -max_total_time=$${FUZZ_SECONDS:-60} $$dict build/fuzz/corpus-$$n fuzz/corpus/$${n#fuzz_}; done

bench: deps build/wsx
	bench/run

format:
	clang-format -i $(SRCS) $(shell find src tests fuzz -name '*.h' -o -name '*.c')

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
