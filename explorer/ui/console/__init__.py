"""The command console, in parts with one job each: the shared state (`state`), the command list
and its search (`command_list`), the target (`target`), the form, sending and the result
(`send_panel`), the history (`history_panel`), demo scripts (`script_panel`), and the
`CommandConsole` that composes them (`console`)."""

from explorer.ui.console.console import CommandConsole

__all__ = ["CommandConsole"]
