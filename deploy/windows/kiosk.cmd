@echo off
rem gongkai kiosk on a Windows terminal: change the address to the hall's server.
call "%~dp0gongkai-browser.cmd" http://192.168.1.10:5000/kiosk/
