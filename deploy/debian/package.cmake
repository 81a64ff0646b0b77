# The Debian package: `cmake --build build --target package` writes
# build/provisioner_<version>_<arch>.deb (CPack, DEB generator). Its layout,
# maintainer scripts and what an upgrade does: README.md, "Operations".
#
#   /usr/bin/provisioner
#   /usr/share/provisioner/vendor-templates, portal    replaced by each upgrade
#   /etc/provisioner/provisioner.ini                   a conffile (kept, and asked about, on upgrades)
#   /lib/systemd/system/provisioner.service            enabled at install, started once configured
#   /usr/share/bash-completion/completions/provisioner, /usr/share/man/man1/provisioner.1.gz
#   /var/lib/provisioner                               made by postinst (0700, the provisioner user's)
#
# The relative destinations are under CPACK_PACKAGING_INSTALL_PREFIX (/usr);
# the rules are written for the package, not for `cmake --install` elsewhere.

set(PROVISIONER_DEBIAN_DIR ${CMAKE_CURRENT_LIST_DIR})
# `cpack` in the build folder packages what is built without building
# (tests/package/package_test.sh does that, beside suites that run the
# binary); the `package` target still builds everything first.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)

install(TARGETS provisioner RUNTIME DESTINATION bin)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/vendor-templates/ DESTINATION share/provisioner/vendor-templates)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/portal/ DESTINATION share/provisioner/portal)
install(FILES ${PROJECT_SOURCE_DIR}/deploy/provisioner.ini DESTINATION /etc/provisioner)
install(FILES ${PROJECT_SOURCE_DIR}/deploy/provisioner.service DESTINATION /lib/systemd/system)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/deploy/dhcp ${PROJECT_SOURCE_DIR}/deploy/fail2ban
        DESTINATION share/doc/provisioner/examples)

# The bash completion and the man page are what the built binary says
# (`provisioner completion bash`, `provisioner man`: both from its command
# table), generated when the package is made. A binary that cannot say them
# fails the package, never ships it without them.
set(PROVISIONER_GENERATED ${CMAKE_BINARY_DIR}/package-generated)
install(CODE "
  set(bin \"$<TARGET_FILE:provisioner>\")
  set(out \"${PROVISIONER_GENERATED}\")
  include(\"${PROVISIONER_DEBIAN_DIR}/generate_help.cmake\")
")
install(FILES ${PROVISIONER_GENERATED}/provisioner DESTINATION share/bash-completion/completions)
install(FILES ${PROVISIONER_GENERATED}/provisioner.1.gz DESTINATION share/man/man1)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME provisioner)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "auto-provisioning server for desk phones (TFTP, HTTP, HTTPS)")
set(CPACK_PACKAGE_DESCRIPTION "Provisioner hands desk phones and DECT bases (Yealink, Polycom, Cisco,
Grandstream, Snom, Fanvil, Aastra/Mitel, Gigaset, Htek, Avaya J100, Panasonic,
Alcatel-Lucent) their configuration over TFTP, HTTP and HTTPS, from an
extension store managed through a JSON API and a browser portal.")
set(CPACK_PACKAGE_CONTACT "Provisioner maintainers <provisioner@localhost>")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
# Library dependencies from the binary (dpkg-shlibdeps, package dpkg-dev);
# the rest by hand: zone rules (tzdata), and the tools the maintainer
# scripts use beyond the essential set (passwd: useradd, userdel;
# init-system-helpers: deb-systemd-helper).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "tzdata, passwd, init-system-helpers")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "ca-certificates")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROVISIONER_DEBIAN_DIR}/conffiles ${PROVISIONER_DEBIAN_DIR}/postinst
    ${PROVISIONER_DEBIAN_DIR}/prerm ${PROVISIONER_DEBIAN_DIR}/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
