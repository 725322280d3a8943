"""The frame of gongkai: app factory, config, database, CLI, errors, calendar.

``hall.app.create_app`` is the composition root; nothing else in this package imports a
feature package.
"""
