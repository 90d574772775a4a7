#!/usr/bin/env bash
# Regenerates the IVR voice prompts (16 kHz, 16-bit mono WAV) with espeak-ng and sox.
# The WAV files are committed; run this only to change the wording.
set -euo pipefail
cd "$(dirname "$0")"
say() { espeak-ng -v en-us -s 150 -w "/tmp/prompt-$1.wav" "$2"; sox "/tmp/prompt-$1.wav" -r 16000 -c 1 -b 16 "$1.wav" norm -3; rm "/tmp/prompt-$1.wav"; }
say welcome        "Welcome. Please enter your meeting I D, followed by the pound key."
say password       "Please enter the meeting password, followed by the pound key."
say invalid_id     "That meeting I D is not valid. Please try again."
say wrong_password "That password is not correct. Please try again."
say locked         "This meeting is locked."
say waiting        "Please wait. The host will let you in soon."
say goodbye        "Goodbye."
say joining        "You are joining the meeting now."
