# Alert outputs (io_uring, libcurl), the web server (libmicrohttpd), systemd units.
LDLIBS += -luring -lcurl -lmicrohttpd

UNITDIR ?= /lib/systemd/system
UNITS := packaging/kestrel.service packaging/kestrel-kmod.service

.PHONY: install-units uninstall-units verify-units

# `make install` and `make uninstall` pick these up as extra prerequisites.
install: install-units
uninstall: uninstall-units

install-units:
	install -D -m 0644 packaging/kestrel.service $(DESTDIR)$(UNITDIR)/kestrel.service
	install -D -m 0644 packaging/kestrel-kmod.service $(DESTDIR)$(UNITDIR)/kestrel-kmod.service

uninstall-units:
	rm -f $(DESTDIR)$(UNITDIR)/kestrel.service $(DESTDIR)$(UNITDIR)/kestrel-kmod.service

# systemd-analyze verify must accept both units (run by `make unit-test`).
verify-units: $(UNITS)
	bash packaging/verify-units.sh $(UNITS)

unit-test: verify-units
