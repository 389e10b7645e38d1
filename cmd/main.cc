// main.cc -- placeholder until the wiring lands.
int main() { return 0; }
