# make install PREFIX=/usr/local DESTDIR=
#
# Installs what an application outside the tree needs: the sealnet
# command, the stack's compartments, libsealnet.a (the runtime and the
# SDK; applications link it statically), the public headers, sealnet.pc
# for pkg-config, the audit's jq module and the schema.  Files go under
# $(DESTDIR)$(PREFIX); every path written into them names $(PREFIX)
# alone, so a staged tree works once moved to PREFIX.
PREFIX ?= /usr/local
DESTDIR ?=
SEALNET_VERSION := 0.1.0

INSTALL_BINDIR = $(DESTDIR)$(PREFIX)/bin
INSTALL_LIBDIR = $(DESTDIR)$(PREFIX)/lib
INSTALL_INCLUDEDIR = $(DESTDIR)$(PREFIX)/include/sealnet
INSTALL_COMPARTMENTSDIR = $(DESTDIR)$(PREFIX)/libexec/sealnet
INSTALL_DATADIR = $(DESTDIR)$(PREFIX)/share/sealnet
INSTALL_PKGCONFIGDIR = $(INSTALL_LIBDIR)/pkgconfig

# STACK_COMPARTMENTS is filled in by compartments/*/build.mk, read after
# this fragment: hence $$, expanded when the rule is used.
install: $(BUILD)/bin/sealnet $(SDK_LIB) \
		$$(addprefix $(BUILD)/compartments/,$$(STACK_COMPARTMENTS)) \
		mk/sealnet.pc.in
	@case "$(PREFIX)" in /*) ;; *) \
		echo "install: PREFIX must be an absolute path" >&2; exit 1;; esac
	install -d $(INSTALL_BINDIR) $(INSTALL_LIBDIR) $(INSTALL_INCLUDEDIR) \
		$(INSTALL_COMPARTMENTSDIR) $(INSTALL_DATADIR)/audit \
		$(INSTALL_DATADIR)/schema $(INSTALL_PKGCONFIGDIR)
	install -m 0755 $(BUILD)/bin/sealnet $(INSTALL_BINDIR)/
	install -m 0755 $(addprefix $(BUILD)/compartments/,$(STACK_COMPARTMENTS)) \
		$(INSTALL_COMPARTMENTSDIR)/
	install -m 0644 $(SDK_LIB) $(INSTALL_LIBDIR)/
	install -m 0644 $(wildcard include/sealnet/*.h) $(INSTALL_INCLUDEDIR)/
	install -m 0644 audit/network_stack.jq $(INSTALL_DATADIR)/audit/
	install -m 0644 schema/sealnet.fbs $(INSTALL_DATADIR)/schema/
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(SEALNET_VERSION)|g' \
		mk/sealnet.pc.in >$(INSTALL_PKGCONFIGDIR)/sealnet.pc
.PHONY: install

# The README's application, built, imaged, audited and run from a staged
# install alone.
SCRIPT_TESTS += tests/sdk-install-test.sh
