@echo off
rem gongkai: one page of the hall full screen on a Windows terminal (kiosk or lobby screen),
rem started again whenever the browser exits. Usage:
rem   gongkai-browser.cmd http://192.168.1.10:5000/kiosk/
rem   gongkai-browser.cmd http://192.168.1.10:5000/screens/lobby
rem Put a shortcut to it in the kiosk user's Startup folder (shell:startup); see
rem docs/deploy.md "Windows terminals" for the settings that stop edge swipes and updates.
setlocal EnableExtensions
set "URL=%~1"
if "%URL%"=="" (
  echo usage: %~nx0 URL
  exit /b 2
)

rem Chrome if installed, else Edge (both Chromium: the same flags work).
set "BROWSER=%ProgramFiles%\Google\Chrome\Application\chrome.exe"
if not exist "%BROWSER%" set "BROWSER=%ProgramFiles(x86)%\Google\Chrome\Application\chrome.exe"
if not exist "%BROWSER%" set "BROWSER=%ProgramFiles(x86)%\Microsoft\Edge\Application\msedge.exe"
if not exist "%BROWSER%" set "BROWSER=%ProgramFiles%\Microsoft\Edge\Application\msedge.exe"
if not exist "%BROWSER%" (
  echo No Chrome or Edge found.
  exit /b 1
)

:again
rem A new, empty profile each time: nothing a citizen typed survives, no "restore pages?".
set "PROFILE=%TEMP%\gongkai-browser-%RANDOM%%RANDOM%"
"%BROWSER%" --kiosk "%URL%" --edge-kiosk-type=fullscreen --user-data-dir="%PROFILE%" ^
  --no-first-run --no-default-browser-check --noerrdialogs --disable-infobars ^
  --disable-session-crashed-bubble --hide-crash-restore-bubble ^
  --disable-pinch --overscroll-history-navigation=0 ^
  --disable-features=TouchpadOverscrollHistoryNavigation,Translate ^
  --autoplay-policy=no-user-gesture-required ^
  --disable-background-networking --disable-component-update
rmdir /s /q "%PROFILE%" 2>nul
rem Back after two seconds, whatever made it exit.
timeout /t 2 /nobreak >nul
goto again
