import { Box, Button, TextField } from '@material-ui/core';
import { formatMinutes } from './format';

/** Preset durations offered before raw minutes: 1 h, 4 h, 8 h and the maximum. */
export function durationPresets(maxMinutes: number): number[] {
  return [...new Set([60, 240, 480].filter(m => m < maxMinutes).concat(maxMinutes))];
}

/**
 * Duration with presets (1 h, 4 h, 8 h, max) and a minutes field. A value that is not a whole
 * number (e.g. "1.5") is kept as typed so the form's check can say so, never rounded.
 */
export function DurationField(props: {
  id: string;
  value: number;
  maxMinutes: number;
  error?: string;
  onChange: (minutes: number) => void;
}) {
  const { id, value, maxMinutes, error, onChange } = props;
  return (
    <Box mt={2}>
      <Box display="flex" flexWrap="wrap" style={{ gap: 8 }} role="group" aria-label="Duration presets">
        {durationPresets(maxMinutes).map(m => (
          <Button
            key={m}
            size="small"
            variant={value === m ? 'contained' : 'outlined'}
            color="primary"
            onClick={() => onChange(m)}
          >
            {m === maxMinutes ? `Max (${formatMinutes(m)})` : formatMinutes(m)}
          </Button>
        ))}
      </Box>
      <TextField
        id={id}
        label="Duration (minutes)"
        type="number"
        fullWidth
        margin="dense"
        value={Number.isNaN(value) ? '' : value}
        inputProps={{ min: 1, max: maxMinutes, step: 1 }}
        error={!!error}
        helperText={error ?? `${Number.isFinite(value) && value > 0 ? `${formatMinutes(value)}. ` : ''}At most ${formatMinutes(maxMinutes)}.`}
        onChange={e => onChange(e.target.value === '' ? NaN : Number(e.target.value))}
      />
    </Box>
  );
}
