# The README's two commands. Everything else lives in scripts/.
.PHONY: run test bootstrap build web clean

run: bootstrap build web
	@[ -f var/hexie.db ] || [ -n "$$HEXIE_DB" ] || ./build/hexie init --demo
	./build/hexie serve --demo

test: bootstrap
	./scripts/test-all

bootstrap:
	./scripts/bootstrap

build:
	@[ -f build/build.ninja ] || meson setup build --buildtype=debugoptimized
	ninja -C build

web:
	cd web && npm run build

clean:
	rm -rf build build-ci build-asan build-fuzz web/dist tests/out
