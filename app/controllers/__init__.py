"""Controllers: they own the asyncio tasks and tie the core to the widgets.

Each controller is a QObject (QtCore only) that is given its view, listens to
the view's signals, runs the network work as tasks on the qasync loop, and
shows the outcome through the view's methods. No widget is imported here
except for type checking.
"""
