#!/usr/bin/perl
# seccomp-expect.pl PROFILE.json HEADER_DIR < PROBE_OUTPUT
#
# Checks seccomp-probe's report, call by call, against what a docker JSON
# profile (rt-exec --print-default-seccomp) says for the same call: the
# name of each number comes from the kernel's own tables (HEADER_DIR's
# asm/unistd_64.h, unistd_x32.h, unistd_32.h), not from libseccomp; the
# capability rules are decided against the bounding set the probe reports.
# Conditions compare the low 32 bits, as rt's built-in filter does.
# Prints every mismatch and a summary; exits 1 if there is any.
use strict;
use warnings;
no warnings "portable";  # 64-bit hex arguments
use JSON::PP;

my ($profile_file, $headers) = @ARGV;
die "usage: seccomp-expect.pl PROFILE.json HEADER_DIR < PROBE_OUTPUT\n" unless $headers;
my $profile = do {
  local $/;
  open my $f, '<', $profile_file or die "$profile_file: $!\n";
  decode_json(<$f>);
};

# ABI -> number -> name, from the kernel headers.
my %table;
for ([x86_64 => 'unistd_64.h'], [x32 => 'unistd_x32.h'], [i386 => 'unistd_32.h']) {
  my ($abi, $file) = @$_;
  open my $f, '<', "$headers/$file" or die "$headers/$file: $!\n";
  while (<$f>) {
    $table{$abi}{$2} = $1 if /^#define __NR_(\w+)\s+\(?(?:__X32_SYSCALL_BIT\s*\+\s*)?(\d+)\)?\s*$/;
  }
}
# Calls newer than the headers may be: number, name, the ABIs that have it.
my @late = (
  [335, 'uretprobe', 'x86_64 x32'], [336, 'uprobe', 'x86_64 x32'],
  [451, 'cachestat'], [452, 'fchmodat2'], [453, 'map_shadow_stack', 'x86_64 i386'],
  [454, 'futex_wake'], [455, 'futex_wait'], [456, 'futex_requeue'], [457, 'statmount'],
  [458, 'listmount'], [459, 'lsm_get_self_attr'], [460, 'lsm_set_self_attr'],
  [461, 'lsm_list_modules'], [462, 'mseal'], [463, 'setxattrat'], [464, 'getxattrat'],
  [465, 'listxattrat'], [466, 'removexattrat'], [467, 'open_tree_attr'], [468, 'file_getattr'],
  [469, 'file_setattr'],
);
for (@late) {
  my ($nr, $name, $abis) = @$_;
  for my $abi (split ' ', $abis // 'x86_64 x32 i386') {
    $table{$abi}{$nr} //= $name;
  }
}

my @cap_names = qw(CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID SETPCAP
  LINUX_IMMUTABLE NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW IPC_LOCK IPC_OWNER SYS_MODULE
  SYS_RAWIO SYS_CHROOT SYS_PTRACE SYS_PACCT SYS_ADMIN SYS_BOOT SYS_NICE SYS_RESOURCE SYS_TIME
  SYS_TTY_CONFIG MKNOD LEASE AUDIT_WRITE AUDIT_CONTROL SETFCAP MAC_OVERRIDE MAC_ADMIN SYSLOG
  WAKE_ALARM BLOCK_SUSPEND AUDIT_READ PERFMON BPF CHECKPOINT_RESTORE);
my (%caps, $kernel);
if (`uname -r` =~ /^(\d+)\.(\d+)/) { $kernel = $1 * 1000 + $2 }

sub version { my ($maj, $min) = split /\./, shift; $maj * 1000 + ($min // 0) }

sub holds {
  my ($cond, $arg) = @_;
  my ($op, $v, $v2) = ($cond->{op}, $cond->{value} & 0xffffffff, ($cond->{valueTwo} // 0) & 0xffffffff);
  $arg &= 0xffffffff;
  return $arg == $v if $op eq 'SCMP_CMP_EQ';
  return $arg != $v if $op eq 'SCMP_CMP_NE';
  return $arg < $v if $op eq 'SCMP_CMP_LT';
  return $arg <= $v if $op eq 'SCMP_CMP_LE';
  return $arg > $v if $op eq 'SCMP_CMP_GT';
  return $arg >= $v if $op eq 'SCMP_CMP_GE';
  return ($arg & $v) == $v2 if $op eq 'SCMP_CMP_MASKED_EQ';
  die "unknown operator $op\n";
}

sub applies {
  my $rule = shift;
  my ($inc, $exc) = ($rule->{includes} // {}, $rule->{excludes} // {});
  return 0 if $inc->{arches} && !grep { $_ eq 'amd64' } @{ $inc->{arches} };
  return 0 if $exc->{arches} && grep { $_ eq 'amd64' } @{ $exc->{arches} };
  return 0 if grep { !$caps{$_} } @{ $inc->{caps} // [] };
  return 0 if grep { $caps{$_} } @{ $exc->{caps} // [] };
  return 0 if $inc->{minKernel} && $kernel < version($inc->{minKernel});
  return 0 if $exc->{minKernel} && $kernel >= version($exc->{minKernel});
  return 1;
}

# "allow" or "errno N" for one call.
sub expected {
  my ($name, $arg0) = @_;
  my $refusal;
  return "errno $profile->{defaultErrnoRet}" unless defined $name;
  for my $rule (@{ $profile->{syscalls} }) {
    next unless grep { $_ eq $name } @{ $rule->{names} // [] };
    next unless applies($rule);
    next if grep { $_->{index} == 0 && !holds($_, $arg0) } @{ $rule->{args} // [] };
    die "a condition on an argument other than the first\n" if grep { $_->{index} != 0 } @{ $rule->{args} // [] };
    return 'allow' if $rule->{action} eq 'SCMP_ACT_ALLOW';
    $refusal //= "errno " . ($rule->{errnoRet} // 1) if $rule->{action} eq 'SCMP_ACT_ERRNO';
  }
  return $refusal // "errno $profile->{defaultErrnoRet}";
}

my ($calls, $bad, %seen) = (0, 0);
while (<STDIN>) {
  chomp;
  if (/^capbnd ([0-9a-f]+)$/) {
    my $set = hex $1;
    for my $i (0 .. $#cap_names) { $caps{"CAP_$cap_names[$i]"} = 1 if $set & (1 << $i) }
    next;
  }
  my ($abi, $nr, $arg0, $got) = /^(\S+) (\d+) (\S+) (.*)$/ or die "unexpected probe line: $_\n";
  die "no capbnd line before the calls\n" unless %caps;
  my $name = $table{$abi}{$nr};
  # The kernel lets x86-64's uretprobe and uprobe past every filter.
  my $want = $abi eq 'x86_64' && ($nr == 335 || $nr == 336) ? 'exempt' : expected($name, hex $arg0);
  $calls++;
  $seen{$got}++;
  next if $got eq $want;
  $bad++;
  printf "%s %d (%s) arg0 %s: the filter says %s, the profile %s\n", $abi, $nr, $name // 'no such call', $arg0, $got,
    $want;
}
print "$calls calls, $bad mismatches (", join(', ', map { "$seen{$_} $_" } sort keys %seen), ")\n";
exit($bad || !$calls ? 1 : 0);
