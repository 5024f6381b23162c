"""A system loaded by module path in the window's tests (`tests.ui.system_copy:SHOP_COPY`): the
shop under another name, so that no installed entry point knows it. Importing this module is
what loading it means; a test that refuses to load it checks it was never imported."""

from dataclasses import replace

from explorer.system.discovery import load_system

SHOP_COPY = replace(load_system("shop"), name="shop_copy", title="Shop copy")
