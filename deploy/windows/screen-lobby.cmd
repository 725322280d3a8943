@echo off
rem gongkai lobby screen "lobby" on a Windows PC: change the address and the screen's name.
call "%~dp0gongkai-browser.cmd" http://192.168.1.10:5000/screens/lobby
