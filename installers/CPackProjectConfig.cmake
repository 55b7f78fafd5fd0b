# Read by cpack for every generator: refuse to package a developer build, whose server would
# look for its widget files in the source tree instead of the installed web root.
if(NOT CPACK_PARLEY_BUILD_WEB_ROOT STREQUAL CPACK_PARLEY_PACKAGE_WEB_ROOT)
  message(FATAL_ERROR "parley packaging: this build was configured with "
    "PARLEY_INSTALLED_WEB_ROOT='${CPACK_PARLEY_BUILD_WEB_ROOT}'; packages need "
    "-DPARLEY_INSTALLED_WEB_ROOT=${CPACK_PARLEY_PACKAGE_WEB_ROOT} (installers/build-packages.sh sets it).")
endif()
